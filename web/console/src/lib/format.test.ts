import { describe, expect, it } from 'vitest';
import { BYTE_INCRS, formatAxis, formatBytes, formatNumber } from './format';

describe('formatAxis', () => {
  it('gives neighbouring ticks distinct labels', () => {
    const ticks = [48.9, 48.95, 49.0, 49.05];
    const labels = ticks.map((v) => formatAxis(v, 0.05));
    expect(new Set(labels).size).toBe(4);
    expect(labels).toEqual(['48.90', '48.95', '49.00', '49.05']);
  });

  it('uses k/M/G prefixes by spacing', () => {
    expect(formatAxis(2_500_000, 500_000)).toBe('2.5 M');
    expect(formatAxis(20_000, 5_000)).toBe('20 k');
    expect(formatAxis(50, 10)).toBe('50');
    expect(formatAxis(0, 10, 'B')).toBe('0 B');
  });

  it('writes bytes in powers of 1024, as the tiles do', () => {
    expect(formatAxis(128 * 1024, 2 * 1024, 'B')).toBe('128 KiB');
    expect(formatAxis(1.5 * 1024 ** 2, 512 * 1024, 'B')).toBe('1.5 MiB');
    expect(formatAxis(3 * 1024 ** 3, 1024 ** 3, 'B/s')).toBe('3 GiB/s');
    expect(formatAxis(1000, 200, 'B')).toBe('1000 B');
    // The tile shows the same value the same way.
    expect(formatBytes(128 * 1024)).toBe('128.0 KiB');
    // Byte axes tick at round binary sizes.
    expect(BYTE_INCRS).toContain(512 * 1024);
    expect(BYTE_INCRS).toContain(1024 ** 2);
    expect(BYTE_INCRS).not.toContain(1000);
  });
});

describe('formatNumber / formatBytes', () => {
  it('formats', () => {
    expect(formatNumber(12)).toBe('12');
    expect(formatNumber(1.234)).toBe('1.23');
    expect(formatNumber(12_345)).toBe('12.3 k');
    expect(formatNumber(null)).toBe('-');
    expect(formatBytes(128040)).toBe('125.0 KiB');
    expect(formatBytes(512)).toBe('512 B');
  });
});

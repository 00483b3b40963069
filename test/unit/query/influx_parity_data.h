// The dataset of influx_parity_test.cc (line protocol, precision=s). Written to influxd 1.6.7 as
// `curl -XPOST 'localhost:8086/write?db=t&precision=s' --data-binary @data.lp` to capture answers.
#pragma once

namespace verbund::query::testing {

inline constexpr const char* kInfluxParityData = R"lp(cpu,host=a,region=eu usage=1.5,idle=10i,ok=true,msg="m0" 1700000000
cpu,host=b,region=us usage=0.0,idle=100i,ok=true,msg="b0" 1700000000
cpu,host=a,region=eu usage=1.75,idle=11i,ok=false,msg="m1" 1700000010
cpu,host=a,region=eu usage=2.0,idle=12i,ok=true,msg="m2" 1700000020
cpu,host=a,region=eu usage=2.25,idle=13i,ok=false,msg="m3" 1700000030
cpu,host=b,region=us usage=3.0,idle=97i,ok=true,msg="b3" 1700000030
cpu,host=a,region=eu usage=2.5,idle=14i,ok=true,msg="m4" 1700000040
cpu,host=a,region=eu usage=2.75,idle=15i,ok=false,msg="m5" 1700000050
cpu,host=a,region=eu usage=3.0,idle=16i,ok=true,msg="m6" 1700000060
cpu,host=b,region=us usage=6.0,idle=94i,ok=true,msg="b6" 1700000060
cpu,host=a,region=eu usage=3.25,idle=17i,ok=false,msg="m7" 1700000070
cpu,host=a,region=eu usage=3.5,idle=18i,ok=true,msg="m8" 1700000080
cpu,host=a,region=eu usage=3.75,idle=19i,ok=false,msg="m9" 1700000090
cpu,host=b,region=us usage=9.0,idle=91i,ok=true,msg="b9" 1700000090
mem,host=a used=0i,free=0.0 1700000000
mem,host=a used=1000i,free=0.5 1700000020
mem,host=a used=2000i,free=1.0 1700000040
mem,host=a used=3000i,free=1.5 1700000060
disk,host=c,path=/var total=5i 1700000005
)lp";

}  // namespace verbund::query::testing

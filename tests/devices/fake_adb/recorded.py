"""Real ``benchmark_model`` output, copied verbatim from public documentation.

Only the shell prompt line before each transcript is left out, and the
reStructuredText block's indentation (markup, not output) is removed. These
are recordings of the real binary on real boards (not phones); the fake
``benchmark_model`` replays them. Tabs are written as ``\\t``.
"""

from __future__ import annotations

# Source: TexasInstruments/processor-sdk-doc,
# source/linux/Foundational_Components/Machine_Learning/tflite.rst
# (commit c099251fd25c0c231dc94ccc22a9303000a7d57b), section "How to run
# benchmark using XNNPACK delegate": TFLite's benchmark_model on an AM62x board,
# `--num_threads=4 --use_xnnpack=true`. A newer build: `INFO: ` prefixes and
# p5/median/p95 on the statistics lines.
TI_AM62X_XNNPACK = """\
INFO: STARTING!
INFO: Log parameter values verbosely: [0]
INFO: Graph: [/usr/share/oob-demo-assets/models/ssd_mobilenet_v2_coco.tflite]
INFO: Signature to run: []
INFO: Use xnnpack: [1]
INFO: Loaded model /usr/share/oob-demo-assets/models/ssd_mobilenet_v2_coco.tflite
INFO: Created TensorFlow Lite XNNPACK delegate for CPU.
INFO: XNNPACK delegate created.
INFO: Explicitly applied XNNPACK delegate, and the model graph will be partially executed by the delegate w/ 1 delegate kernels.
INFO: The input model file size (MB): 67.3128
INFO: Initialized session in 614.333ms.
INFO: Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if exceeding 150 seconds.
INFO: count=1 curr=905463 p5=905463 median=905463 p95=905463
INFO: Running benchmark for at least 50 iterations and at least 1 seconds but terminate if exceeding 150 seconds.
INFO: count=50 first=900416 curr=898333 min=898007 max=906121 avg=899641 std=1549 p5=898333 median=899281 p95=904305
INFO: Inference timings in us: Init: 614333, First inference: 905463, Warmup (avg): 905463, Inference (avg): 899641
INFO: Note: as the benchmark tool itself affects memory footprint, the following is only APPROXIMATE to the actual memory footprint of the model at runtime. Take the information at your discretion.
INFO: Memory footprint delta from the start of the tool (MB): init=146.363 overall=150.141
"""

# Source: the same file, section "How to run benchmark using CPU delegate"
# (`--num_threads=4 --use_xnnpack=false`): no XNNPACK, `avg` in exponent form.
TI_AM62X_CPU = """\
INFO: STARTING!
INFO: Log parameter values verbosely: [0]
INFO: Graph: [/usr/share/oob-demo-assets/models/ssd_mobilenet_v2_coco.tflite]
INFO: Signature to run: []
INFO: Use xnnpack: [0]
INFO: Loaded model /usr/share/oob-demo-assets/models/ssd_mobilenet_v2_coco.tflite
INFO: The input model file size (MB): 67.3128
INFO: Initialized session in 5.579ms.
INFO: Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if exceeding 150 seconds.
INFO: count=1 curr=1357602 p5=1357602 median=1357602 p95=1357602

INFO: Running benchmark for at least 50 iterations and at least 1 seconds but terminate if exceeding 150 seconds.
INFO: count=50 first=1249964 curr=1240143 min=1238588 max=1252566 avg=1.24027e+06 std=2565 p5=1238753 median=1239807 p95=1247415

INFO: Inference timings in us: Init: 5579, First inference: 1357602, Warmup (avg): 1.3576e+06, Inference (avg): 1.24027e+06
INFO: Note: as the benchmark tool itself affects memory footprint, the following is only APPROXIMATE to the actual memory footprint of the model at runtime. Take the information at your discretion.
INFO: Memory footprint delta from the start of the tool (MB): init=6.36328 overall=109.832
"""

# Source: NobuoTsukamoto/meta-tensorflow-lite, doc/tensorflow-lite-benchmark.md
# (commit 0e1bd90066f741aa9a07a376b3103fce8c80a1e9): benchmark_model on a
# qemuriscv64 image, `--num_threads=4 --enable_op_profiling=true`. An older
# build: no prefixes, no percentiles (so no median), and per-operator tables
# whose "Timings (microseconds): count=..." lines must not be taken for the runs.
META_TFLITE_OP_PROFILING = """\
STARTING!
Log parameter values verbosely: [0]
Num threads: [4]
Graph: [./mobilenet_v1_1.0_224.tflite]
Enable op profiling: [1]
#threads used for CPU inference: [4]
Loaded model ./mobilenet_v1_1.0_224.tflite
The input model file size (MB): 16.9008
Initialized session in 17.187ms.
Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if exceeding 150 seconds.
count=1 curr=3512391

Running benchmark for at least 50 iterations and at least 1 seconds but terminate if exceeding 150 seconds.
count=50 first=2990275 curr=2913402 min=2727568 max=3189954 avg=2.95034e+06 std=109798

Inference timings in us: Init: 17187, First inference: 3512391, Warmup (avg): 3.51239e+06, Inference (avg): 2.95034e+06
Note: as the benchmark tool itself affects memory footprint, the following is only APPROXIMATE to the actual memory footprint of the model at runtime. Take the information at your discretion.
Memory footprint delta from the start of the tool (MB): init=4.21094 overall=46.0859
Profiling Info for Benchmark Initialization:
============================== Run Order ==============================
\t             [node type]\t          [start]\t  [first]\t [avg ms]\t     [%]\t  [cdf%]\t  [mem KB]\t[times called]\t[Name]
\t         AllocateTensors\t            0.000\t    1.356\t    1.356\t100.000%\t100.000%\t     0.000\t        1\tAllocateTensors/0

============================== Top by Computation Time ==============================
\t             [node type]\t          [start]\t  [first]\t [avg ms]\t     [%]\t  [cdf%]\t  [mem KB]\t[times called]\t[Name]
\t         AllocateTensors\t            0.000\t    1.356\t    1.356\t100.000%\t100.000%\t     0.000\t        1\tAllocateTensors/0

Number of nodes executed: 1
============================== Summary by node type ==============================
\t             [Node type]\t  [count]\t  [avg ms]\t    [avg %]\t    [cdf %]\t  [mem KB]\t[times called]
\t         AllocateTensors\t        1\t     1.356\t   100.000%\t   100.000%\t     0.000\t        1

Timings (microseconds): count=1 curr=1356
Memory (bytes): count=0
1 nodes observed



Operator-wise Profiling Info for Regular Benchmark Runs:
============================== Run Order ==============================
\t             [node type]\t          [start]\t  [first]\t [avg ms]\t     [%]\t  [cdf%]\t  [mem KB]\t[times called]\t[Name]
\t                 CONV_2D\t            0.066\t   87.754\t   60.957\t  2.066%\t  2.066%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_0/Relu6]:0
\t       DEPTHWISE_CONV_2D\t           61.033\t   53.628\t   49.870\t  1.691%\t  3.757%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_1_depthwise/Relu6]:1
\t                 CONV_2D\t          110.912\t  134.346\t  147.808\t  5.011%\t  8.768%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_1_pointwise/Relu6]:2
\t       DEPTHWISE_CONV_2D\t          258.730\t   27.363\t   34.010\t  1.153%\t  9.921%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_2_depthwise/Relu6]:3
\t                 CONV_2D\t          292.750\t  125.424\t  135.911\t  4.607%\t 14.528%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_2_pointwise/Relu6]:4
\t       DEPTHWISE_CONV_2D\t          428.672\t   38.643\t   47.423\t  1.608%\t 16.135%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_3_depthwise/Relu6]:5
\t                 CONV_2D\t          476.101\t  233.972\t  242.524\t  8.221%\t 24.357%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_3_pointwise/Relu6]:6
\t       DEPTHWISE_CONV_2D\t          718.645\t   35.876\t   19.039\t  0.645%\t 25.002%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_4_depthwise/Relu6]:7
\t                 CONV_2D\t          737.691\t  144.354\t  130.485\t  4.423%\t 29.426%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_4_pointwise/Relu6]:8
\t       DEPTHWISE_CONV_2D\t          868.186\t   32.953\t   30.232\t  1.025%\t 30.450%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_5_depthwise/Relu6]:9
\t                 CONV_2D\t          898.426\t  263.724\t  277.374\t  9.403%\t 39.853%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_5_pointwise/Relu6]:10
\t       DEPTHWISE_CONV_2D\t         1175.813\t   13.673\t   11.954\t  0.405%\t 40.258%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_6_depthwise/Relu6]:11
\t                 CONV_2D\t         1187.773\t  166.067\t  137.816\t  4.672%\t 44.930%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_6_pointwise/Relu6]:12
\t       DEPTHWISE_CONV_2D\t         1325.600\t   19.176\t   15.824\t  0.536%\t 45.467%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_7_depthwise/Relu6]:13
\t                 CONV_2D\t         1341.430\t  238.119\t  230.753\t  7.822%\t 53.289%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_7_pointwise/Relu6]:14
\t       DEPTHWISE_CONV_2D\t         1572.193\t   20.572\t   16.234\t  0.550%\t 53.839%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_8_depthwise/Relu6]:15
\t                 CONV_2D\t         1588.434\t  230.877\t  249.023\t  8.442%\t 62.281%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_8_pointwise/Relu6]:16
\t       DEPTHWISE_CONV_2D\t         1837.471\t   14.557\t   22.527\t  0.764%\t 63.045%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_9_depthwise/Relu6]:17
\t                 CONV_2D\t         1860.007\t  276.404\t  243.619\t  8.259%\t 71.303%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_9_pointwise/Relu6]:18
\t       DEPTHWISE_CONV_2D\t         2103.639\t   24.506\t   16.815\t  0.570%\t 71.873%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_10_depthwise/Relu6]:19
\t                 CONV_2D\t         2120.467\t  224.358\t  248.456\t  8.423%\t 80.296%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_10_pointwise/Relu6]:20
\t       DEPTHWISE_CONV_2D\t         2368.936\t   27.001\t   21.415\t  0.726%\t 81.022%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_11_depthwise/Relu6]:21
\t                 CONV_2D\t         2390.360\t  239.657\t  242.949\t  8.236%\t 89.258%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_11_pointwise/Relu6]:22
\t       DEPTHWISE_CONV_2D\t         2633.321\t   16.929\t    5.845\t  0.198%\t 89.456%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_12_depthwise/Relu6]:23
\t                 CONV_2D\t         2639.171\t  109.905\t  114.411\t  3.878%\t 93.334%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_12_pointwise/Relu6]:24
\t       DEPTHWISE_CONV_2D\t         2753.591\t    4.318\t    5.736\t  0.194%\t 93.529%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_13_depthwise/Relu6]:25
\t                 CONV_2D\t         2759.331\t  173.079\t  177.589\t  6.020%\t 99.549%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_13_pointwise/Relu6]:26
\t         AVERAGE_POOL_2D\t         2936.930\t    0.828\t    0.869\t  0.029%\t 99.578%\t     0.000\t        1\t[MobilenetV1/Logits/AvgPool_1a/AvgPool]:27
\t                 CONV_2D\t         2937.801\t   11.354\t   12.185\t  0.413%\t 99.992%\t     0.000\t        1\t[MobilenetV1/Logits/Conv2d_1c_1x1/BiasAdd]:28
\t                 SQUEEZE\t         2949.993\t    0.013\t    0.017\t  0.001%\t 99.992%\t     0.000\t        1\t[MobilenetV1/Logits/SpatialSqueeze]:29
\t                 SOFTMAX\t         2950.011\t    0.230\t    0.233\t  0.008%\t100.000%\t     0.000\t        1\t[MobilenetV1/Predictions/Reshape_1]:30

============================== Top by Computation Time ==============================
\t             [node type]\t          [start]\t  [first]\t [avg ms]\t     [%]\t  [cdf%]\t  [mem KB]\t[times called]\t[Name]
\t                 CONV_2D\t          898.426\t  263.724\t  277.374\t  9.403%\t  9.403%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_5_pointwise/Relu6]:10
\t                 CONV_2D\t         1588.434\t  230.877\t  249.023\t  8.442%\t 17.845%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_8_pointwise/Relu6]:16
\t                 CONV_2D\t         2120.467\t  224.358\t  248.456\t  8.423%\t 26.267%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_10_pointwise/Relu6]:20
\t                 CONV_2D\t         1860.007\t  276.404\t  243.619\t  8.259%\t 34.526%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_9_pointwise/Relu6]:18
\t                 CONV_2D\t         2390.360\t  239.657\t  242.949\t  8.236%\t 42.761%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_11_pointwise/Relu6]:22
\t                 CONV_2D\t          476.101\t  233.972\t  242.524\t  8.221%\t 50.983%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_3_pointwise/Relu6]:6
\t                 CONV_2D\t         1341.430\t  238.119\t  230.753\t  7.822%\t 58.805%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_7_pointwise/Relu6]:14
\t                 CONV_2D\t         2759.331\t  173.079\t  177.589\t  6.020%\t 64.825%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_13_pointwise/Relu6]:26
\t                 CONV_2D\t          110.912\t  134.346\t  147.808\t  5.011%\t 69.836%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_1_pointwise/Relu6]:2
\t                 CONV_2D\t         1187.773\t  166.067\t  137.816\t  4.672%\t 74.508%\t     0.000\t        1\t[MobilenetV1/MobilenetV1/Conv2d_6_pointwise/Relu6]:12

Number of nodes executed: 31
============================== Summary by node type ==============================
\t             [Node type]\t  [count]\t  [avg ms]\t    [avg %]\t    [cdf %]\t  [mem KB]\t[times called]
\t                 CONV_2D\t       15\t  2651.853\t    89.897%\t    89.897%\t     0.000\t       15
\t       DEPTHWISE_CONV_2D\t       13\t   296.919\t    10.065%\t    99.962%\t     0.000\t       13
\t         AVERAGE_POOL_2D\t        1\t     0.869\t     0.029%\t    99.992%\t     0.000\t        1
\t                 SOFTMAX\t        1\t     0.232\t     0.008%\t    99.999%\t     0.000\t        1
\t                 SQUEEZE\t        1\t     0.016\t     0.001%\t   100.000%\t     0.000\t        1

Timings (microseconds): count=50 first=2989660 curr=2912978 min=2727203 max=3189476 avg=2.9499e+06 std=109770
Memory (bytes): count=0
31 nodes observed
"""

# Source: tensorflow/tensorflow, tensorflow/lite/tools/benchmark/README.md
# (commit 00ad26894f23060591ef791e10d77eb1e0c19437), the end of its
# "Profiling model operators" example: the summary line of old builds
# ("Average inference timings in us: ..."), which this backend does not read.
TF_README_OLD_SUMMARY = """\
Timings (microseconds): count=50 first=79449 curr=81350 min=77385 max=88213 avg=79732 std=1929
Memory (bytes): count=0
31 nodes observed


Average inference timings in us: Warmup: 83235, Init: 38467, Inference: 79760.9
"""

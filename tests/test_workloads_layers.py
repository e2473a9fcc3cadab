"""Layer shapes, MACs, GEMM shapes, operands and bad-shape errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tnpu.errors import ConfigError
from tnpu.workloads import Concat, Conv2d, Linear, Network, NetworkBuilder, Phase
from tnpu.workloads.layers import NETWORK_INPUT, BatchNorm2d, MaxPool2d, ReLU

SHAPE_KEYS = {
    "kind", "n", "c", "k", "h", "w", "r", "s", "stride_h", "stride_w", "pad_h", "pad_w", "dilation_h", "dilation_w",
    "groups",
}  # fmt: skip


def conv(
    c=3, h=8, w=8, k=4, kernel=(3, 3), stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, bias=True
):
    return Conv2d(
        name="conv",
        inputs=(NETWORK_INPUT,),
        in_shape=(c, h, w),
        out_channels=k,
        kernel=kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        bias=bias,
    )


def test_conv_output_shape_and_macs_follow_the_formulas():
    layer = conv(c=3, h=227, w=227, k=96, kernel=(11, 11), stride=(4, 4))
    assert layer.out_shape == (96, 55, 55)
    assert layer.weights == 96 * 3 * 11 * 11
    assert layer.params == layer.weights + 96
    assert layer.macs(Phase.FP) == 96 * 3 * 121 * 55 * 55
    assert layer.macs(Phase.FP, batch=3) == 3 * layer.macs(Phase.FP)
    assert layer.macs(Phase.BP) == layer.macs(Phase.GD) == layer.macs(Phase.FP)
    assert layer.macs(Phase.WU) == 0
    assert layer.vector_ops(Phase.WU) == layer.params


def test_dilated_padded_conv_shape():
    # P = floor((H + 2p - d(R-1) - 1)/s) + 1
    layer = conv(h=17, w=20, kernel=(3, 5), stride=(2, 3), padding=(2, 1), dilation=(2, 1))
    assert layer.out_shape == (4, (17 + 4 - 4 - 1) // 2 + 1, (20 + 2 - 4 - 1) // 3 + 1)


def test_grouped_conv_gemm_covers_all_groups():
    layer = conv(c=96, h=27, w=27, k=256, kernel=(5, 5), padding=(2, 2), groups=2)
    assert layer.weights == 256 * 48 * 25
    assert layer.macs(Phase.FP) == 223_948_800  # AlexNet conv2, paper.md 6.2
    assert layer.gemm(Phase.FP, 2) == (256, 2 * 27 * 27, 48 * 25)
    assert layer.gemm(Phase.BP, 2) == (96, 2 * 27 * 27, 128 * 25)
    assert layer.gemm(Phase.GD, 2) == (256, 48 * 25, 2 * 27 * 27)
    for phase in (Phase.FP, Phase.BP, Phase.GD):
        m, n, k = layer.gemm(phase, 2)
        assert m * n * k == layer.macs(phase, 2)


@settings(max_examples=60, deadline=None)
@given(
    c=st.integers(1, 8),
    k=st.integers(1, 8),
    g=st.integers(1, 4),
    h=st.integers(4, 20),
    r=st.integers(1, 4),
    s=st.integers(1, 4),
    stride=st.integers(1, 3),
    pad=st.integers(0, 2),
    batch=st.integers(1, 4),
)
def test_gemm_product_equals_macs(c, k, g, h, r, s, stride, pad, batch):
    layer = conv(
        c=c * g, h=h, w=h + 1, k=k * g, kernel=(r, s), stride=(stride, stride), padding=(pad, pad), groups=g
    )
    _, p, q = layer.out_shape
    assert layer.macs(Phase.FP, batch) == batch * k * g * c * r * s * p * q
    for phase in (Phase.FP, Phase.GD):
        m, n, kk = layer.gemm(phase, batch)
        assert m * n * kk == layer.macs(phase, batch)
    m, n, kk = layer.gemm(Phase.BP, batch)
    # BP is the dense GEMM over the (zero-inserted) output gradient: exact for stride 1, larger when strided
    assert (m, n, kk) == (c * g, batch * h * (h + 1), k * r * s)
    if stride == 1 and 2 * pad == r - 1 == s - 1:
        assert m * n * kk == layer.macs(Phase.BP, batch)
    # its slots are H*W/(P*Q) times the MACs (which are FP's)
    assert m * n * kk * p * q == layer.macs(Phase.BP, batch) * h * (h + 1)
    assert layer.macs(Phase.BP, batch) == layer.macs(Phase.FP, batch)


def test_layer_shape_record_has_exactly_the_agreed_keys():
    layer = conv(
        c=8, h=10, w=12, k=16, kernel=(3, 1), stride=(2, 1), padding=(1, 0), dilation=(1, 1), groups=4
    )
    rec = layer.layer_shape(batch=5)
    assert set(rec) == SHAPE_KEYS
    assert rec == {
        "kind": "conv", "n": 5, "c": 8, "k": 16, "h": 10, "w": 12, "r": 3, "s": 1, "stride_h": 2, "stride_w": 1,
        "pad_h": 1, "pad_w": 0, "dilation_h": 1, "dilation_w": 1, "groups": 4,
    }  # fmt: skip
    fc = Linear(name="fc", inputs=(NETWORK_INPUT,), in_shape=(9216, 1, 1), out_features=4096)
    rec = fc.layer_shape(batch=50)
    assert set(rec) == SHAPE_KEYS
    assert (rec["kind"], rec["n"], rec["c"], rec["k"], rec["h"], rec["r"], rec["groups"]) == (
        "linear",
        50,
        9216,
        4096,
        1,
        1,
        1,
    )


def test_linear_gemm_and_params():
    fc = Linear(name="fc", inputs=(NETWORK_INPUT,), in_shape=(300, 1, 1), out_features=20, bias=False)
    assert fc.params == 6000
    assert fc.gemm(Phase.FP, 4) == (20, 4, 300)
    assert fc.gemm(Phase.BP, 4) == (300, 4, 20)
    assert fc.gemm(Phase.GD, 4) == (20, 300, 4)
    assert fc.gemm(Phase.WU, 4) == (0, 0, 0)
    assert fc.macs(Phase.GD, 4) == 4 * 6000


def test_operands_name_what_each_phase_needs():
    layer = conv(c=2, h=4, w=4, k=3, kernel=(3, 3), padding=(1, 1))
    x, y, w = 2 * 16 * 4, 3 * 16 * 4, layer.params * 4
    ins, outs = layer.operands(Phase.GD, batch=1)
    assert [(o.name, o.nbytes, o.stashed) for o in ins] == [("dY", y, False), ("X", x, True)]
    assert [(o.name, o.nbytes) for o in outs] == [("dW", w)]
    assert layer.bytes_in(Phase.FP) == x + w
    assert layer.bytes_out(Phase.BP) == x
    relu = ReLU(name="r", inputs=("c",), in_shape=(3, 5, 5))
    assert [(o.name, o.nbytes) for o in relu.stash(batch=2)] == [("mask", (2 * 75 + 7) // 8)]
    ins, _ = relu.operands(Phase.BP, batch=2)
    assert {o.name for o in ins} == {"dY", "mask"}
    pool = MaxPool2d(name="p", inputs=("r",), in_shape=(3, 6, 6), kernel=(2, 2), stride=(2, 2))
    assert pool.out_shape == (3, 3, 3)
    assert [(o.name, o.nbytes) for o in pool.stash(batch=2)] == [("indices", 2 * 27)]
    bn = BatchNorm2d(name="bn", inputs=("p",), in_shape=(3, 3, 3))
    assert bn.params == 6
    assert {o.name for o in bn.operands(Phase.GD)[0]} == {"dY", "X", "stats"}


def test_ceil_mode_pooling_matches_pytorch_rule():
    b = NetworkBuilder("t", (1, 6, 6))
    b.maxpool("p", 3, stride=2, ceil_mode=True)
    assert b.shape() == (1, 3, 3)  # floor would give 2
    b2 = NetworkBuilder("t", (1, 5, 5))
    b2.maxpool("p", 2, stride=2, padding=1, ceil_mode=True)
    assert b2.shape() == (1, 3, 3)  # the 4th window would start in the padding: dropped


def test_bad_shapes_name_the_layer():
    with pytest.raises(ConfigError, match=r"layer 'conv'.*groups=3"):
        conv(c=4, k=6, groups=3)
    with pytest.raises(ConfigError, match=r"layer 'conv'.*does not fit"):
        conv(h=2, w=2, kernel=(5, 5))
    b = NetworkBuilder("t", (3, 8, 8))
    with pytest.raises(ConfigError, match=r"layer 'fc'.*flat input.*3x8x8"):
        b.linear("fc", 10)
    b.conv("c1", 4, 3, padding=1)
    b.conv("c2", 8, 3, padding=1)
    with pytest.raises(ConfigError, match=r"layer 'sum'.*'c1' \(4x8x8\).*'c2' \(8x8x8\)"):
        b.add("sum", "c1", "c2")
    with pytest.raises(ConfigError, match=r"'c2' is used twice"):
        b.relu("c2")


def test_network_checks_shapes_against_producers():
    good = conv(c=3, h=8, w=8, k=4, kernel=(3, 3))
    wrong = Conv2d(name="next", inputs=("conv",), in_shape=(5, 6, 6), out_channels=2, kernel=(1, 1))
    with pytest.raises(ConfigError, match=r"layer 'next' expects input 5x6x6 but 'conv' produces 4x6x6"):
        Network("t", (3, 8, 8), (good, wrong))
    orphan = Conv2d(name="next", inputs=("nothing",), in_shape=(4, 6, 6), out_channels=2, kernel=(1, 1))
    with pytest.raises(ConfigError, match=r"layer 'next' reads 'nothing'"):
        Network("t", (3, 8, 8), (good, orphan))


def test_needs_bp_excludes_layers_fed_by_the_input():
    b = NetworkBuilder("t", (1, 8, 8))
    b.relu("pre")  # no parameters upstream: no BP
    b.conv("c1", 2, 3)
    b.relu("r1")
    b.flatten("f")
    b.linear("fc", 3)
    b.loss()
    needs = b.build().needs_bp()
    assert needs == {"pre": False, "c1": False, "r1": True, "f": True, "fc": True, "loss": True}


def test_phase_may_be_given_as_enum_code_or_text():
    layer = conv(c=4, h=6, w=6, k=8, kernel=(3, 3))
    assert layer.gemm("GD", 2) == layer.gemm(2, 2) == layer.gemm(Phase.GD, 2) == (8, 36, 2 * 16)
    assert layer.macs("fp") == layer.macs(Phase.FP)
    with pytest.raises(ValueError, match=r"unknown phase 'XX'"):
        layer.gemm("XX")
    with pytest.raises(ValueError, match=r"unknown phase 7"):
        layer.macs(7)


def test_activations_cost_their_operations_and_keep_what_bp_needs():
    b = NetworkBuilder("t", (2, 4, 4))
    b.conv("c", 4, 1)
    for function in ("sigmoid", "tanh", "hardsigmoid", "hardswish", "silu"):
        b.activation(function, function)
    b.activation("clip", "clip", bounds=(-1.0, 1.0))
    net = b.build()
    n = 4 * 16  # elements per sample
    expected = {  # FP ops, BP ops, what BP reads besides dY (bytes for a batch of 2, fp32)
        "sigmoid": (3, 3, ("Y", 2 * n * 4)),
        "tanh": (4, 3, ("Y", 2 * n * 4)),
        "hardsigmoid": (2, 2, ("mask", 2 * n // 8)),
        "hardswish": (3, 3, ("X", 2 * n * 4)),
        "silu": (4, 8, ("X", 2 * n * 4)),
        "clip": (1, 1, ("mask", 2 * n // 8)),
    }
    for name, (fp, bp, kept) in expected.items():
        layer = net.layer(name)
        assert layer.kind.label == "activation"
        assert (layer.vector_ops(Phase.FP, 2), layer.vector_ops(Phase.BP, 2)) == (fp * 2 * n, bp * 2 * n)
        assert layer.vector_ops(Phase.GD, 2) == layer.vector_ops(Phase.WU, 2) == 0
        assert layer.params == 0
        assert [(o.name, o.nbytes) for o in layer.stash(batch=2)] == [kept]
        ins, _ = layer.operands(Phase.BP, batch=2)
        assert [o.name for o in ins] == ["dY", kept[0]]
        fp_outs = [o.name for o in layer.operands(Phase.FP, batch=2)[1]]
        assert fp_outs == (["Y", "mask"] if kept[0] == "mask" else ["Y"])  # only a mask is written besides Y
    assert net.layer("clip").describe() == "4x4x4 clip [-1, 1]"
    with pytest.raises(
        ConfigError, match=r"layer 'g': unknown activation 'gelu' \(known: relu as its own layer"
    ):
        b.activation("g", "gelu")


def test_concat_joins_channels_and_moves_data():
    b = NetworkBuilder("t", (3, 8, 8))
    b.conv("a", 4, 1)
    b.conv("b", 6, 3, padding=1, src="input")
    cat = b.concat("cat", "a", "b")
    assert b.shape(cat) == (10, 8, 8)
    layer = b.layers[-1]
    assert layer.input_shapes == ((4, 8, 8), (6, 8, 8))
    assert layer.describe() == "4x8x8 + 6x8x8 -> 10x8x8"
    y = 2 * 10 * 64 * 4
    assert [(o.name, o.nbytes) for o in layer.operands(Phase.FP, 2)[0]] == [("X", y)]
    assert [(o.name, o.nbytes) for o in layer.operands(Phase.BP, 2)[1]] == [("dX", y)]
    assert layer.vector_ops(Phase.FP, 2) == 0
    b.conv("c", 2, 3, stride=2, src="input")
    with pytest.raises(ConfigError, match=r"layer 'bad': cannot concatenate 'a' \(4x8x8\) and 'c' \(2x3x3\)"):
        b.concat("bad", "a", "c")
    net = b.build()
    # the network checks each input of a concat against its own producer
    wrong = Concat(name="w", inputs=("a", "b"), in_shape=(4, 8, 8), in_channels=(4, 5))
    with pytest.raises(ConfigError, match=r"layer 'w' expects input 5x8x8 but 'b' produces 6x8x8"):
        Network("t", (3, 8, 8), (*net.layers, wrong))


def test_activation_and_concat_tasks_cross_into_cpp_and_simulate():
    import tnpu
    from tnpu.workloads import TrainingGraph

    b = NetworkBuilder("t", (3, 8, 8))
    b.conv("a", 4, 1)
    b.activation("silu", "silu")
    b.conv("b", 4, 3, padding=1, src="input")
    b.concat("cat", "silu", "b")
    b.activation("sig", "sigmoid")
    b.flatten("f")
    b.linear("fc", 10)
    graph = TrainingGraph(b.build(), batch=2)
    graph.validate()  # the C++ validator takes the layer kind codes 9 (activation) and 10 (concat)
    kinds = {row["group"]: row for row in graph.summary("kind")}
    assert int(kinds["activation"]["vector_ops"]) == 2 * (4 * 64 * (4 + 8) + 8 * 64 * (3 + 3))
    assert int(kinds["concat"]["vector_ops"]) == 0
    r = tnpu.simulate(graph.network, "tnpu", batch=2, overrides={"memory.model": "ideal"})
    assert r.summary()["macs"] == 2 * graph.network.training_macs


def test_conv_bp_macs_are_the_forward_macs_everywhere():
    """LeNet-5's c5 (5x5 kernel over a 5x5 input): BP computes dX = W^T dY, one MAC per (filter, channel, kernel
    position, output position) as FP: 48,000. The executed GEMM (a transposed convolution over the zero-padded dY)
    has 1,200,000 slots; no result may report those as MACs."""
    import tnpu
    from tnpu.workloads import get_network

    net = get_network("lenet5")
    c5 = net.layer("c5")
    assert c5.macs(Phase.FP) == c5.macs(Phase.BP) == c5.macs(Phase.GD) == 120 * 16 * 25
    m, n, k = c5.gemm(Phase.BP)
    assert m * n * k == 1_200_000
    # dX = W^T dY counted one MAC at a time: each dY element (k, p, q) meets each weight (k, c, i, j) whose input
    # position (p*stride + i - pad, q*stride + j - pad) lies in X (c5 has no padding: all do, as in FP's count)
    (cin, h, w), (kout, p, q), (r, s) = c5.in_shape, c5.out_shape, c5.kernel
    (sh, sw), (ph, pw) = c5.stride, c5.padding
    count = sum(
        cin
        for _k in range(kout)
        for y in range(p)
        for x in range(q)
        for i in range(r)
        for j in range(s)
        if 0 <= y * sh + i - ph < h and 0 <= x * sw + j - pw < w
    )
    assert count == c5.macs(Phase.BP)
    assert tnpu.simulate_layer(c5.layer_shape(1), "BP", memory="ideal").macs == c5.macs(Phase.BP)
    result = tnpu.simulate("lenet5", "tnpu", batch=2, overrides={"memory.model": "ideal"})
    t = result.tasks
    bp_c5 = (t["layer"] == net.index("c5")) & (t["phase"] == int(Phase.BP))
    assert bp_c5.any()
    assert (t["macs"][bp_c5] == c5.macs(Phase.BP, 1)).all()

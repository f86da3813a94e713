# The reference numbers of tests/nn/recurrent_test.cpp, printed by PyTorch (1.13: /usr/bin/python3 with Debian's
# python3-torch): weights, inputs and states filled by formulas of their flat index, outputs and final states of RNN
# (tanh, relu), LSTM and GRU, full and packed with lengths {1, 3}, and one step of each cell; then bidirectional ones.
import math, torch
torch.set_default_dtype(torch.float64)
T, N, C, H, L = 3, 2, 3, 2, 2
def fill(t, f):
    flat = t.view(-1)
    for i in range(flat.numel()): flat[i] = f(i)
def params(m):
    with torch.no_grad():
        for p, (name, t) in enumerate(m.state_dict().items()):
            fill(t, lambda i: 0.4 * math.sin(0.7 * i + 1.3 * p + 0.5))
def fmt(t): return "{" + ", ".join("%.12g" % v for v in t.reshape(-1).tolist()) + "}"
x = torch.zeros(T, N, C); fill(x, lambda i: math.sin(0.9 * i + 0.1))
h0 = torch.zeros(L, N, H); fill(h0, lambda i: 0.3 * math.cos(0.5 * i))
c0 = torch.zeros(L, N, H); fill(c0, lambda i: 0.2 * math.sin(0.8 * i + 0.3))
lengths = [1, 3]
for name, m in [("rnn_tanh", torch.nn.RNN(C, H, L)), ("rnn_relu", torch.nn.RNN(C, H, L, nonlinearity="relu")),
                ("lstm", torch.nn.LSTM(C, H, L)), ("gru", torch.nn.GRU(C, H, L))]:
    params(m)
    print(name, "keys", list(m.state_dict().keys()), [list(v.shape) for v in m.state_dict().values()])
    state = (h0, c0) if name == "lstm" else h0
    out, hn = m(x, state)
    hn, cn = hn if name == "lstm" else (hn, None)
    print(name, "out", fmt(out)); print(name, "h_n", fmt(hn))
    if cn is not None: print(name, "c_n", fmt(cn))
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
    pout, phn = m(packed, state)
    pout, _ = torch.nn.utils.rnn.pad_packed_sequence(pout, total_length=T)
    phn, pcn = phn if name == "lstm" else (phn, None)
    print(name, "packed out", fmt(pout)); print(name, "packed h_n", fmt(phn))
    if pcn is not None: print(name, "packed c_n", fmt(pcn))
for name, m in [("rnn_cell", torch.nn.RNNCell(C, H)), ("lstm_cell", torch.nn.LSTMCell(C, H)), ("gru_cell", torch.nn.GRUCell(C, H))]:
    params(m)
    print(name, "keys", list(m.state_dict().keys()))
    y = m(x[0], (h0[0], c0[0]) if name == "lstm_cell" else h0[0])
    if name == "lstm_cell": print(name, "h", fmt(y[0])); print(name, "c", fmt(y[1]))
    else: print(name, "h", fmt(y))
# Bidirectional: the same fills, two layers of two directions, so h0 and c0 are
# [2·L, N, H]; full and packed with lengths {1, 3}.
hb = torch.zeros(2 * L, N, H); fill(hb, lambda i: 0.3 * math.cos(0.5 * i))
cb = torch.zeros(2 * L, N, H); fill(cb, lambda i: 0.2 * math.sin(0.8 * i + 0.3))
for name, m in [("bi_rnn_tanh", torch.nn.RNN(C, H, L, bidirectional=True)),
                ("bi_lstm", torch.nn.LSTM(C, H, L, bidirectional=True)), ("bi_gru", torch.nn.GRU(C, H, L, bidirectional=True))]:
    params(m)
    print(name, "keys", list(m.state_dict().keys()), [list(v.shape) for v in m.state_dict().values()])
    state = (hb, cb) if name == "bi_lstm" else hb
    for packed in (False, True):
        tag = "packed " if packed else ""
        inp = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False) if packed else x
        out, hn = m(inp, state)
        if packed: out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, total_length=T)
        hn, cn = hn if name == "bi_lstm" else (hn, None)
        print(name, tag + "out", fmt(out)); print(name, tag + "h_n", fmt(hn))
        if cn is not None: print(name, tag + "c_n", fmt(cn))

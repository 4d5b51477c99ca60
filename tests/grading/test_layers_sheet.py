"""The bundled sheet `layers` through the real CLI: the reference solution scores full marks,
the template scores nothing, and a typical wrong answer to each exercise loses exactly that
exercise's points."""

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcheck.cli import main
from gradcheck.spec import load_sheet

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "layers.py"

# exercise -> a typical mistake: definitions appended to the reference solution (later ones win)
MISTAKES = {
    "affine": """
        def affine_backward(dout, cache):      # dw transposed
            x, w = cache
            xf = x.reshape(x.shape[0], -1)
            return (dout @ w.T).reshape(x.shape), (xf.T @ dout).T, dout.sum(axis=0)
    """,
    "relu": """
        def relu_backward(dout, cache):        # the upstream gradient is not used
            return (cache > 0).astype(float)
    """,
    "leaky-relu": """
        def leaky_relu_backward(dout, cache):  # the negative side gets no gradient
            x, alpha = cache
            return dout * (x > 0)
    """,
    "sigmoid": """
        def sigmoid_backward(dout, cache):     # s(1 - s) without the s
            return dout * (1 - cache)
    """,
    "tanh": """
        def tanh_backward(dout, cache):        # 1 - tanh instead of 1 - tanh**2
            return dout * (1 - cache)
    """,
    "batchnorm": """
        def batchnorm_backward(dout, cache):   # the batch mean and variance taken as constants
            xhat, inv, gamma, axis = cache
            return dout * gamma * inv, (dout * xhat).sum(axis=0), dout.sum(axis=0)
    """,
    "layernorm": """
        def layernorm_backward(dout, cache):   # the 1/D of the mean forgotten
            xhat, inv, gamma, axis = cache
            dxhat = dout * gamma
            dx = inv * (dxhat - dxhat.sum(axis=1, keepdims=True)
                        - xhat * (dxhat * xhat).sum(axis=1, keepdims=True))
            return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)
    """,
    "dropout": """
        def dropout_backward(dout, cache):     # the mask not applied in the backward pass
            mask, p = cache
            return dout / p
    """,
    "rnn-step": """
        def rnn_step_backward(dnext_h, cache):  # dWh transposed
            x, prev_h, Wx, Wh, next_h = cache
            da = dnext_h * (1 - next_h ** 2)
            return da @ Wx.T, da @ Wh.T, x.T @ da, da.T @ prev_h, da.sum(axis=0)
    """,
    "lstm-step": """
        _right_lstm_step_backward = lstm_step_backward

        def lstm_step_backward(dnext_h, dnext_c, cache):   # dnext_c ignored
            return _right_lstm_step_backward(dnext_h, 0 * dnext_c, cache)
    """,
    "temporal-affine": """
        def temporal_affine_backward(dout, cache):   # db not summed over the time steps
            x, w = cache
            return dout @ w.T, np.einsum("ntd,ntm->dm", x, dout), dout.sum(axis=0)
    """,
    "attention": """
        def attention_backward(dout, cache):   # the 1/sqrt(d) scale forgotten in backward
            q, k, v, p, scale = cache
            dp = dout @ v.transpose(0, 2, 1)
            ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
            return ds @ k, ds.transpose(0, 2, 1) @ q, p.transpose(0, 2, 1) @ dout
    """,
    "softmax-loss": """
        def softmax_loss(x, y):                # the 1/N of the mean forgotten in dx
            loss, dx = _cross_entropy(x, y)
            return loss, dx * x.shape[0]
    """,
    "svm-loss": """
        def svm_loss(x, y):                    # the correct class gets no gradient
            n = x.shape[0]
            margins = np.maximum(0, x - x[np.arange(n), y][:, None] + 1)
            margins[np.arange(n), y] = 0
            return margins.sum() / n, (margins > 0) / n
    """,
    "two-layer": """
        _right_two_layer_loss = two_layer_loss

        def two_layer_loss(X, y, W1, b1, W2, b2, reg):   # the regulariser's gradient halved
            loss, dW1, db1, dW2, db2 = _right_two_layer_loss(X, y, W1, b1, W2, b2, reg)
            return loss, dW1 - reg * W1, db1, dW2 - reg * W2, db2
    """,
    "conv": """
        _right_conv_backward = conv_backward

        def conv_backward(dout, cache):        # db summed over the batch only
            dx, dw, db = _right_conv_backward(dout, cache)
            return dx, dw, dout.sum(axis=0)
    """,
    "max-pool": """
        def max_pool_backward(dout, cache):    # the gradient not routed through the max
            x, pool_param = cache
            return avg_pool_backward(dout, (x.shape, pool_param)) * 4
    """,
    "avg-pool": """
        def avg_pool_backward(dout, cache):    # the 1/(pool_height * pool_width) forgotten
            shape, pool_param = cache
            dx = np.zeros(shape)
            s = pool_param["stride"]
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    dx[:, :, i * s:i * s + 3, j * s:j * s + 3] += dout[:, :, i, j][:, :, None, None]
            return dx
    """,
    "embedding": """
        def word_embedding_backward(dout, cache):   # repeated words: only one gradient kept
            x, shape = cache
            dW = np.zeros(shape)
            dW[x] += dout
            return dW
    """,
    "temporal-softmax-loss": """
        _right_temporal_softmax_loss = temporal_softmax_loss

        def temporal_softmax_loss(x, y, mask):     # the mask not applied to dx
            loss, _ = _right_temporal_softmax_loss(x, y, mask)
            _, dx = _right_temporal_softmax_loss(x, y, np.ones_like(mask))
            return loss, dx
    """,
    "causal-attention": """
        def causal_attention_forward(q, k, v):      # the causal mask forgotten
            return attention_forward(q, k, v)
    """,
}


def grade_json(submission):
    result = CliRunner().invoke(main, ["grade", "layers", "--submission", str(submission),
                                       "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.output)


def test_every_exercise_has_a_mistake_here():
    assert set(MISTAKES) == {e.id for e in load_sheet("layers").automatic}


def test_reference_solution_scores_full_marks():
    code, report = grade_json(SOLUTION)
    assert code == 0 and report["score"] == report["max_score"], \
        {e["id"]: e["message"] for e in report["exercises"] if e["score"] < e["points"]}


@pytest.fixture(scope="module")
def wrong_everywhere(tmp_path_factory):
    """One submission with every mistake: each exercise is graded on its own, so each must
    lose exactly its points."""
    path = tmp_path_factory.mktemp("layers") / "layers.py"
    path.write_text(SOLUTION.read_text() + "".join(
        textwrap.dedent(m) for m in MISTAKES.values()))
    return grade_json(path)


@pytest.mark.parametrize("exercise", sorted(MISTAKES))
def test_a_typical_mistake_loses_its_points(wrong_everywhere, exercise):
    _, report = wrong_everywhere
    result = next(e for e in report["exercises"] if e["id"] == exercise)
    assert result["score"] == 0, result["message"]
    assert result["status"] == "fail"


def test_one_mistake_leaves_the_others_full(tmp_path):
    path = tmp_path / "layers.py"
    path.write_text(SOLUTION.read_text() + textwrap.dedent(MISTAKES["dropout"]))
    _, report = grade_json(path)
    lost = {e["id"]: e["points"] - e["score"] for e in report["exercises"]
            if e["score"] < e["points"]}
    assert lost == {"dropout": 2}


def test_the_template_scores_nothing(tmp_path):
    result = CliRunner().invoke(main, ["init", "layers", "--directory", str(tmp_path)])
    assert result.exit_code == 0, result.output
    code, report = grade_json(tmp_path / "layers.py")
    assert code == 1 and report["score"] == 0
    assert {e["status"] for e in report["exercises"]} == {"not implemented"}

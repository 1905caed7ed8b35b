"""descent checkpoints <-> PyTorch: a torch model, a torch.optim optimizer and the schedule's position.

    model, optimizer, schedule, spec = load("model.safetensors")   # continue a descent run in torch
    save("back.safetensors", model, optimizer, spec)                # createTrainer(bytes) resumes it
    data = from_torch(module, input_shape=[28, 28, 1], loss="softmax_cross_entropy")

The model takes rows as descent takes them (flat or [N, *inputShape], channels-last images and
sequences, int token ids), standardises them when the spec has ``normalize: true``, and returns what
descent's ``predict(x, { raw: true })`` returns (logits for the logit losses, as torch's losses want).
Its entries run in the spec's list order with outputs kept by index; each reads its ``inputs``
(names or 'input'; default: the entry before), so graph specs (add, concat, trainable: false) run
too, and sequence layers (lstm, gru, attention, positionEmbedding) are torch's modules under the
checkpoint's names. Parameters are named as in the checkpoint (``{i}.weight``), so
``model.state_dict()`` and the file agree name for name.

What descent does inside its step and torch leaves to the training loop:
  * the loss: ``loss_function(spec)`` is descent's loss in torch ops (mean reduction unless the spec says);
  * per-layer ``l1`` / ``l2`` penalties (Keras: added to the loss): ``loss + model.penalty()``;
  * ``clipValue`` / ``clipGlobalNorm``: ``model.clip_gradients()`` between ``backward()`` and ``step()``
    (torch.nn.utils.clip_grad_value_ / clip_grad_norm_, same formulas);
  * weight decay is the optimizer's own (Adam's L2 in the gradient, AdamW's decoupled), as in torch;
  * dropout: torch draws its own masks (descent's derive from seed and step), so a run with dropout
    continues with the same distribution, not the same draws.
"""

from __future__ import annotations

import json
import math
import struct
import warnings
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load as _load_tensors
from safetensors.torch import save as _save_tensors

__all__ = ["load", "save", "from_torch", "loss_function", "DescentModel", "Schedule"]

FORMAT = "descent-checkpoint/1"

# torch.optim's defaults, as descent's optimizers take them (DESIGN "Optimizers"); LAMB's lr: 1e-3.
DEFAULT_LEARNING_RATE = {"sgd": 1e-3, "adam": 1e-3, "adamw": 1e-3, "rmsprop": 1e-2, "adagrad": 1e-2,
                         "adadelta": 1.0, "adamax": 2e-3, "nadam": 2e-3, "lion": 1e-4, "lamb": 1e-3}

_ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": F.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.01),
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "gelu": F.gelu,  # exact (erf)
    "softmax": lambda x: torch.softmax(x, -1),  # descent is channels-last: softmax over the last axis
    "log_softmax": lambda x: torch.log_softmax(x, -1),
}
_POOLS = {"maxpool2d": F.max_pool2d, "avgpool2d": F.avg_pool2d, "maxpool1d": F.max_pool1d, "avgpool1d": F.avg_pool1d}


# ----------------------------------------------------------------------------------------------
# Checkpoint files: safetensors with descent's __metadata__ (JSON strings, non-finite numbers as strings)

def _to_json(value: Any) -> str:
    def fix(v):
        if isinstance(v, float) and not math.isfinite(v):
            return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [fix(x) for x in v]
        return v
    return json.dumps(fix(value), separators=(",", ":"))


def _from_json(text: str) -> Any:
    def fix(v):
        if isinstance(v, str) and v in ("Infinity", "-Infinity", "NaN"):
            return float(v.replace("Infinity", "inf").replace("NaN", "nan"))
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fix(x) for x in v]
        return v
    return fix(json.loads(text))


def _read(source) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        with open(source, "rb") as f:
            data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    metadata = json.loads(data[8:8 + length]).get("__metadata__", {})
    if metadata.get("format") != FORMAT:
        raise ValueError(f"checkpoint __metadata__.format must be {FORMAT!r}, got {metadata.get('format')!r}")
    return _load_tensors(data), metadata


# ----------------------------------------------------------------------------------------------
# The model: descent's spec as a torch module

def _row_shape(spec: dict) -> list[int]:
    return list(spec["inputShape"]) if "inputShape" in spec else [spec["inputSize"]]


def _per_axis(value, axes: int) -> list[int]:
    return list(value) if isinstance(value, (list, tuple)) else [value] * axes


def _to_first(x: torch.Tensor) -> torch.Tensor:
    """(N, ..., C) -> (N, C, ...): torch's convolutions and pools want the channels at dim 1."""
    return x.movedim(-1, 1)


def _to_last(x: torch.Tensor) -> torch.Tensor:
    return x.movedim(1, -1)


class DescentModel(nn.Module):
    """A descent spec as a torch module: entries in list order, outputs kept by index.

    forward(x): x as descent takes rows (flat [N, size] or [N, *inputShape], channels-last; int64
    token ids for an embedding first layer) -> what descent's predict(x, { raw: true }) gives.
    """

    def __init__(self, spec: dict, normalization: dict | None = None):
        super().__init__()
        self.spec = spec
        self.input_shape = _row_shape(spec)
        # descent standardises in float64 and rounds once: float64 constants, not buffers (which
        # model.to(dtype) would round) and not in state_dict
        self.normalization = normalization
        if normalization is not None:
            self._mean = torch.tensor(normalization["mean"], dtype=torch.float64).reshape(self.input_shape)
            self._std = torch.tensor(normalization["std"], dtype=torch.float64).reshape(self.input_shape)
        names = {"input": -1}
        self._inputs: list[list[int]] = []
        self._shapes: list[list[int]] = []
        for i, layer in enumerate(spec["layers"]):
            wanted = layer.get("inputs")
            if wanted is None:
                sources = [i - 1]
            else:
                unknown = [n for n in wanted if n not in names]
                if unknown:
                    raise ValueError(f"layers[{i}].inputs names {unknown[0]!r}, which no earlier entry is named")
                sources = [names[n] for n in wanted]
            self._inputs.append(sources)
            in_shapes = [self._shapes[s] if s >= 0 else list(self.input_shape) for s in sources]
            module, shape = self._build(i, layer, in_shapes)
            if module is not None:
                self.add_module(str(i), module)
                if layer.get("trainable", True) is False:
                    for p in module.parameters():
                        p.requires_grad_(False)
            self._shapes.append(shape)
            if "name" in layer:
                names[layer["name"]] = i

    def _build(self, i: int, layer: dict, in_shapes: list[list[int]]):
        """The torch module holding entry i's tensors (None for none) and its output row shape."""
        kind = layer.get("type", "dense")
        shape = in_shapes[0]
        if kind == "dense":
            return nn.Linear(shape[-1], layer["units"], bias=layer.get("useBias", True)), [*shape[:-1], layer["units"]]
        if kind in ("conv1d", "conv2d"):
            axes = len(shape) - 1
            padding = layer.get("padding", "valid")
            conv = (nn.Conv2d if kind == "conv2d" else nn.Conv1d)(
                shape[-1], layer["filters"], _per_axis(layer["kernelSize"], axes), stride=_per_axis(layer.get("stride", 1), axes),
                padding=padding if isinstance(padding, str) else _per_axis(padding, axes),
                dilation=_per_axis(layer.get("dilation", 1), axes), bias=layer.get("useBias", True))
            with torch.no_grad():
                out = conv(torch.zeros(1, shape[-1], *shape[:-1])).shape[2:]
            return conv, [*out, layer["filters"]]
        if kind == "embedding":
            return nn.Embedding(layer["vocabSize"], layer["units"], padding_idx=layer.get("paddingIdx")), [*shape, layer["units"]]
        if kind == "layernorm":
            return nn.LayerNorm(shape[-1], eps=layer.get("eps", 1e-5)), shape
        if kind == "batchnorm":  # applied to (N·positions, C): the same statistics as BatchNorm1d/2d
            return nn.BatchNorm1d(shape[-1], eps=layer.get("eps", 1e-5), momentum=layer.get("momentum", 0.1)), shape
        if kind == "dropout":
            return nn.Dropout(layer["rate"]), shape
        if kind == "activation":
            return None, shape
        if kind == "flatten":
            return None, [math.prod(shape)]
        if kind in _POOLS:
            with torch.no_grad():
                out = self._pool(layer, _to_first(torch.zeros(1, *shape))).shape[2:]
            return None, [*out, shape[-1]]
        if kind == "globalavgpool":
            return None, [shape[-1]]
        # sequence layers (DESIGN "Sequence layers"): torch's modules, names and layouts, batch_first
        if kind in ("lstm", "gru"):
            rnn = (nn.LSTM if kind == "lstm" else nn.GRU)(shape[-1], layer["units"], batch_first=True)
            return rnn, [shape[0], layer["units"]] if layer.get("returnSequences", False) else [layer["units"]]
        if kind == "attention":
            return nn.MultiheadAttention(shape[-1], layer["heads"], batch_first=True), shape
        if kind == "positionEmbedding":
            return _PositionEmbedding(shape), shape
        if kind == "add":
            return None, shape
        if kind == "concat":
            axis = layer.get("axis", -1)
            axis = axis if axis >= 0 else len(shape) + axis
            return None, [sum(s[axis] for s in in_shapes) if a == axis else d for a, d in enumerate(shape)]
        raise ValueError(f"layers[{i}].type {kind!r} has no torch counterpart in descent_torch")

    @staticmethod
    def _pool(layer: dict, x: torch.Tensor) -> torch.Tensor:
        padding = layer.get("padding", "valid")
        # torch's padding: an average counts it as zeros (count_include_pad), as descent does
        return _POOLS[layer["type"]](x, layer["poolSize"], layer.get("stride"), 0 if padding == "valid" else padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.as_tensor(x)
        ids = self.spec["layers"][0].get("type") == "embedding"
        x = x.reshape(-1, *self.input_shape)
        if ids:
            x = x.long()
        else:
            dtype = next((p.dtype for p in self.parameters()), torch.float32)
            if self.normalization is not None:
                x = ((x.double() - self._mean.to(x.device)) / self._std.to(x.device)).float()
            x = x.to(dtype)
        outputs: list[torch.Tensor] = []
        for i, layer in enumerate(self.spec["layers"]):
            inputs = [outputs[s] if s >= 0 else x for s in self._inputs[i]]
            outputs.append(self._run(i, layer, inputs))
        return outputs[-1]

    def _run(self, i: int, layer: dict, inputs: list[torch.Tensor]) -> torch.Tensor:
        kind = layer.get("type", "dense")
        x = inputs[0]
        module = self._modules.get(str(i))
        activation = _ACTIVATIONS[layer.get("activation", "linear")]
        if kind == "dense" or kind in ("embedding", "layernorm", "dropout"):
            return activation(module(x)) if kind == "dense" else module(x)
        if kind in ("conv1d", "conv2d"):
            return activation(_to_last(module(_to_first(x))))
        if kind == "batchnorm":
            flat = x.reshape(-1, x.shape[-1])
            if layer.get("trainable", True) is False:  # frozen batchnorm runs on its running statistics (Keras)
                flat = F.batch_norm(flat, module.running_mean, module.running_var, module.weight, module.bias, False, 0.0, module.eps)
            else:
                flat = module(flat)
            return flat.reshape(x.shape)
        if kind == "activation":
            return activation(x)
        if kind == "flatten":
            if layer.get("dataFormat", "channelsLast") == "channelsFirst":
                x = _to_first(x)  # torch's nn.Flatten of (N, C, H, W): (C, H, W) order
            return x.reshape(x.shape[0], -1)
        if kind in _POOLS:
            return _to_last(self._pool(layer, _to_first(x)))
        if kind == "globalavgpool":
            return x.mean(dim=tuple(range(1, x.dim() - 1)))
        if kind in ("lstm", "gru"):  # zero initial state
            out, _ = module(x)
            return out if layer.get("returnSequences", False) else out[:, -1]
        if kind == "attention":
            steps = x.shape[1]
            mask = torch.triu(torch.ones(steps, steps, dtype=torch.bool, device=x.device), 1) if layer.get("causal", False) else None
            return module(x, x, x, attn_mask=mask, need_weights=False)[0]
        if kind == "positionEmbedding":
            return x + module.weight
        if kind == "add":
            return sum(inputs[1:], inputs[0])
        if kind == "concat":
            axis = layer.get("axis", -1)
            return torch.cat(inputs, dim=axis if axis < 0 else axis + 1)  # axis counts within a row
        raise AssertionError(kind)

    def predict(self, x, raw: bool = False) -> torch.Tensor:
        """descent's predict: eval mode, no gradient, and the loss's output activation unless raw
        (softmax for softmax_cross_entropy, sigmoid for bce_with_logits, as descent's predict)."""
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                out = self(x)
        finally:
            self.train(was_training)
        loss = self.spec.get("loss")
        name = loss.get("name") if isinstance(loss, dict) else loss
        if raw:
            return out
        if name == "softmax_cross_entropy":
            return torch.softmax(out, -1)
        return torch.sigmoid(out) if name == "bce_with_logits" else out

    def penalty(self) -> torch.Tensor:
        """Sum of the layers' Keras penalties l1·Σ|w| + l2·Σw² (weights only), to add to the loss."""
        total = torch.zeros(())
        for i, layer in enumerate(self.spec["layers"]):
            l1, l2 = layer.get("l1", 0), layer.get("l2", 0)
            if l1 or l2:
                w = self._modules[str(i)].weight
                total = total + l1 * w.abs().sum() + l2 * (w * w).sum()
        return total

    def clip_gradients(self) -> None:
        """The spec's clipValue / clipGlobalNorm on the gradients (call between backward() and step())."""
        opt = self.spec.get("optimizer", {})
        params = [p for p in self.parameters() if p.grad is not None]
        if "clipValue" in opt:
            torch.nn.utils.clip_grad_value_(params, opt["clipValue"])
        if "clipGlobalNorm" in opt:
            torch.nn.utils.clip_grad_norm_(params, opt["clipGlobalNorm"])  # max/(‖g‖ + 1e-6) when below 1, as descent


class _PositionEmbedding(nn.Module):
    """descent's positionEmbedding: a learned [T, C] tensor `weight` added to every row."""

    def __init__(self, shape: list[int]):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(*shape))


def loss_function(spec: dict):
    """descent's loss of `spec` (its "loss" entry, a name or {name, ...options}) as (output, target) -> tensor."""
    loss = spec["loss"] if isinstance(spec, dict) and "loss" in spec else spec
    options = dict(loss) if isinstance(loss, dict) else {"name": loss}
    name = options.pop("name")
    reduction = options.pop("reduction", "mean")
    eps = 1e-7

    def reduce(items, divisor):
        return items.sum() / divisor if reduction == "mean" else (items.sum() if reduction == "sum" else items)

    def tensor(key):
        return None if options.get(key) is None else torch.tensor(options[key])

    if name == "mse":
        return lambda out, y: F.mse_loss(out, y.reshape(out.shape).to(out.dtype), reduction=reduction)
    if name == "mae":
        return lambda out, y: F.l1_loss(out, y.reshape(out.shape).to(out.dtype), reduction=reduction)
    if name == "huber":
        return lambda out, y: F.huber_loss(out, y.reshape(out.shape).to(out.dtype), reduction=reduction, delta=options.get("delta", 1.0))
    if name == "smooth_l1":
        return lambda out, y: F.smooth_l1_loss(out, y.reshape(out.shape).to(out.dtype), reduction=reduction, beta=options.get("beta", 1.0))
    if name == "softmax_cross_entropy":
        def softmax_ce(out, y):
            if out.dim() > 2 and not torch.is_floating_point(y):  # one class per position: [N, T, V] with y [N, T]
                out, y = out.reshape(-1, out.shape[-1]), y.reshape(-1)
            target = y.long() if not torch.is_floating_point(y) else y.reshape(out.shape).to(out.dtype)
            w = tensor("weight")
            return F.cross_entropy(out, target, weight=None if w is None else w.to(out.dtype), reduction=reduction,
                                   ignore_index=options.get("ignoreIndex", -100), label_smoothing=options.get("labelSmoothing", 0.0))
        return softmax_ce
    if name == "nll":
        return lambda out, y: F.nll_loss(out.reshape(-1, out.shape[-1]), y.long().reshape(-1), weight=None if tensor("weight") is None else tensor("weight").to(out.dtype),
                                         reduction=reduction, ignore_index=options.get("ignoreIndex", -100))
    if name == "bce_with_logits":
        return lambda out, y: F.binary_cross_entropy_with_logits(
            out, y.reshape(out.shape).to(out.dtype), reduction=reduction,
            weight=None if tensor("weight") is None else tensor("weight").to(out.dtype),
            pos_weight=None if tensor("posWeight") is None else tensor("posWeight").to(out.dtype))
    if name == "binary_cross_entropy":
        return lambda out, y: F.binary_cross_entropy(out, y.reshape(out.shape).to(out.dtype), reduction=reduction,
                                                     weight=None if tensor("weight") is None else tensor("weight").to(out.dtype))
    if name == "cross_entropy":  # probabilities: −Σ y log max(p, eps) per row, a term with y = 0 adds 0
        def cross_entropy(p, y):
            y = y.reshape(p.shape).to(p.dtype)
            items = -(torch.where(y != 0, y * torch.log(p.clamp_min(eps)), torch.zeros_like(p))).sum(1)
            return reduce(items, p.shape[0])
        return cross_entropy
    raise ValueError(f"loss {name!r} has no torch version in descent_torch (supported: mse, mae, huber, smooth_l1, "
                     "softmax_cross_entropy, nll, bce_with_logits, binary_cross_entropy, cross_entropy)")


# ----------------------------------------------------------------------------------------------
# Optimizers: descent's slots are torch's state names (DESIGN "PyTorch handoff")

_SLOTS = {
    "sgd": lambda o: ["momentum_buffer"] if o.get("momentum", 0) > 0 else [],
    "adam": lambda o: ["exp_avg", "exp_avg_sq"] + (["max_exp_avg_sq"] if o.get("amsgrad") else []),
    "rmsprop": lambda o: ["square_avg"] + (["grad_avg"] if o.get("centered") else []) + (["momentum_buffer"] if o.get("momentum", 0) > 0 else []),
    "adagrad": lambda o: ["sum"],
    "adadelta": lambda o: ["square_avg", "acc_delta"],
    "adamax": lambda o: ["exp_avg", "exp_inf"],
    "nadam": lambda o: ["exp_avg", "exp_avg_sq"],
}
_SLOTS["adamw"] = _SLOTS["adam"]


def _torch_optimizer(options: dict, params, lr: float) -> torch.optim.Optimizer:
    name = options.get("name")
    o = options.get
    if name in ("lion", "lamb"):
        raise NotImplementedError(
            f"descent's {name!r} optimizer has no torch.optim counterpart (torch {torch.__version__} has no "
            f"{'Lion' if name == 'lion' else 'LAMB'}): continue this run in descent, or switch the spec's optimizer")
    betas = (o("beta1", 0.9), o("beta2", 0.999))
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=o("momentum", 0), dampening=o("dampening", 0),
                               weight_decay=o("weightDecay", 0), nesterov=o("nesterov", False))
    if name in ("adam", "adamw"):
        cls = torch.optim.AdamW if name == "adamw" else torch.optim.Adam
        return cls(params, lr=lr, betas=betas, eps=o("epsilon", 1e-8), amsgrad=o("amsgrad", False),
                   weight_decay=o("weightDecay", 0.01 if name == "adamw" else 0))
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=o("alpha", 0.99), eps=o("epsilon", 1e-8), weight_decay=o("weightDecay", 0),
                                   momentum=o("momentum", 0), centered=o("centered", False))
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, lr_decay=o("lrDecay", 0), weight_decay=o("weightDecay", 0),
                                   initial_accumulator_value=o("initialAccumulatorValue", 0), eps=o("epsilon", 1e-10))
    if name == "adadelta":
        return torch.optim.Adadelta(params, lr=lr, rho=o("rho", 0.9), eps=o("epsilon", 1e-6), weight_decay=o("weightDecay", 0))
    if name == "adamax":
        return torch.optim.Adamax(params, lr=lr, betas=betas, eps=o("epsilon", 1e-8), weight_decay=o("weightDecay", 0))
    if name == "nadam":
        return torch.optim.NAdam(params, lr=lr, betas=betas, eps=o("epsilon", 1e-8), weight_decay=o("weightDecay", 0),
                                 momentum_decay=o("momentumDecay", 4e-3))
    raise ValueError(f"optimizer.name {name!r} is not a descent optimizer")


def _count_steps(optimizer, *_args, **_kwargs) -> None:
    # torch's SGD keeps no step count; descent's schedule, Adam's bias correction and dropout need one
    for group in optimizer.param_groups:
        group["descent_step"] = group.get("descent_step", 0) + 1


def _optimizer_spec(optimizer: torch.optim.Optimizer, previous: dict) -> dict:
    """descent's optimizer spec for a torch optimizer (hyper-parameters from its one param group)."""
    if len(optimizer.param_groups) != 1:
        raise ValueError(f"optimizer must have one param group (descent has one set of hyper-parameters), got {len(optimizer.param_groups)}")
    g = optimizer.param_groups[0]
    kind = getattr(optimizer, "kind", type(optimizer)).__name__
    names = {"SGD": "sgd", "Adam": "adam", "AdamW": "adamw", "RMSprop": "rmsprop", "Adagrad": "adagrad",
             "Adadelta": "adadelta", "Adamax": "adamax", "NAdam": "nadam"}
    if kind not in names:
        raise ValueError(f"optimizer {kind} has no descent counterpart (descent has {', '.join(names)})")
    name = names[kind]
    if name == "adam" and g.get("decoupled_weight_decay"):
        name = "adamw"
    for flag in ("maximize", "differentiable", "fused", "capturable"):
        if g.get(flag):
            raise ValueError(f"optimizer {kind} with {flag}=True has no descent counterpart")
    if name == "nadam" and g.get("decoupled_weight_decay"):
        raise ValueError("optimizer NAdam with decoupled_weight_decay=True has no descent counterpart")
    spec: dict[str, Any] = {"name": name}
    fields = {
        "sgd": [("momentum", "momentum", 0), ("dampening", "dampening", 0), ("nesterov", "nesterov", False), ("weightDecay", "weight_decay", 0)],
        "adam": [("amsgrad", "amsgrad", False)],
        "rmsprop": [("alpha", "alpha", 0.99), ("epsilon", "eps", 1e-8), ("weightDecay", "weight_decay", 0), ("momentum", "momentum", 0),
                    ("centered", "centered", False)],
        "adagrad": [("lrDecay", "lr_decay", 0), ("epsilon", "eps", 1e-10), ("weightDecay", "weight_decay", 0),
                    ("initialAccumulatorValue", "initial_accumulator_value", 0)],
        "adadelta": [("rho", "rho", 0.9), ("epsilon", "eps", 1e-6), ("weightDecay", "weight_decay", 0)],
        "adamax": [("epsilon", "eps", 1e-8), ("weightDecay", "weight_decay", 0)],
        "nadam": [("epsilon", "eps", 1e-8), ("weightDecay", "weight_decay", 0), ("momentumDecay", "momentum_decay", 4e-3)],
    }
    fields["adamw"] = fields["adam"] + [("epsilon", "eps", 1e-8), ("weightDecay", "weight_decay", 0.01)]
    fields["adam"] = fields["adam"] + [("epsilon", "eps", 1e-8), ("weightDecay", "weight_decay", 0)]
    if "betas" in g:
        for key, value, default in (("beta1", g["betas"][0], 0.9), ("beta2", g["betas"][1], 0.999)):
            if value != default:
                spec[key] = float(value)
    for key, torch_key, default in fields[name]:
        value = g[torch_key]
        if value != default:
            spec[key] = value if isinstance(value, bool) else float(value)
    for key in ("clipValue", "clipGlobalNorm"):
        if key in previous:
            spec[key] = previous[key]
    # a schedule stays the spec's; a plain rate is the group's current one
    rate = previous.get("learningRate")
    spec["learningRate"] = rate if isinstance(rate, dict) and previous.get("name") == name else float(g["lr"])
    return spec


# ----------------------------------------------------------------------------------------------
# Schedules: descent's formulas, and torch's lr_scheduler at the same position

class Schedule:
    """A learning-rate schedule at a position: ``spec`` (descent's learningRate), ``step`` (optimizer
    steps done), ``state`` (reduceOnPlateau's lr, best, badEpochs). ``lr(t)`` is descent's rate for
    the step after t completed steps; ``scheduler(optimizer)`` the torch scheduler that continues it."""

    def __init__(self, spec, step: int, state: dict | None = None, optimizer_name: str = "sgd"):
        self.spec = DEFAULT_LEARNING_RATE[optimizer_name] if spec is None else spec
        self.step = step
        self.state = dict(state or {})

    def __repr__(self) -> str:
        return f"Schedule({self.spec!r}, step={self.step}, state={self.state!r})"

    def lr(self, step: int | None = None, total_steps: int | None = None) -> float:
        return _rate(self.spec, self.step if step is None else step, self.state, total_steps)

    def scheduler(self, optimizer: torch.optim.Optimizer, total_steps: int | None = None):
        """torch.optim.lr_scheduler at this position: StepLR, ExponentialLR, OneCycleLR (cycle_momentum
        off), ReduceLROnPlateau (step it once per epoch with the monitored loss); LambdaLR with descent's
        formula for constant, cosine (torch's CosineAnnealingLR rises again after T_max, descent holds
        etaMin) and linearWarmup. `total_steps` resolves 'auto' lengths (descent: epochs × batches of a fit)."""
        s, t = self.spec, self.step
        name = s.get("name") if isinstance(s, dict) else "constant"
        lr_now = self.lr(t, total_steps)
        sched = torch.optim.lr_scheduler
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about scheduler.step() before optimizer.step()
            if name == "reduceOnPlateau":
                scheduler = sched.ReduceLROnPlateau(optimizer, mode="min", factor=s.get("factor", 0.1), patience=s.get("patience", 10),
                                                    threshold=s.get("threshold", 1e-4), threshold_mode="rel", cooldown=0,
                                                    min_lr=s.get("minLr", 0), eps=0)
                scheduler.best = self.state.get("best", math.inf)
                scheduler.num_bad_epochs = int(self.state.get("badEpochs", 0))
                for g in optimizer.param_groups:
                    g["lr"] = lr_now
                return scheduler
            for g in optimizer.param_groups:
                g.pop("initial_lr", None)
                g["lr"] = s["initial"] if name in ("step", "exponential") else 1.0
            if name == "step":
                scheduler = sched.StepLR(optimizer, step_size=s["stepSize"], gamma=s.get("gamma", 0.1))
            elif name == "exponential":
                scheduler = sched.ExponentialLR(optimizer, gamma=s["gamma"])
            elif name == "oneCycle":
                scheduler = sched.OneCycleLR(optimizer, max_lr=s["maxLr"], total_steps=_length(s, "totalSteps", total_steps),
                                             pct_start=s.get("pctStart", 0.3), anneal_strategy="cos", cycle_momentum=False,
                                             div_factor=s.get("divFactor", 25), final_div_factor=s.get("finalDivFactor", 1e4))
            else:  # base lr 1: the lambda gives the rate itself
                scheduler = sched.LambdaLR(optimizer, lambda step: _rate(s, step, self.state, total_steps))
        scheduler.last_epoch = t
        for g in optimizer.param_groups:
            g["lr"] = lr_now
        scheduler._last_lr = [lr_now] * len(optimizer.param_groups)
        return scheduler


def _length(s: dict, key: str, total_steps: int | None) -> int:
    if s[key] != "auto":
        return s[key]
    if total_steps is None:
        raise ValueError(f"learningRate.{key} is 'auto' (descent: epochs × batches of the current fit): pass total_steps")
    return total_steps


def _rate(s, t: int, state: dict, total_steps: int | None) -> float:
    """descent's src/schedules.ts: the learning rate for the step after t completed steps."""
    if not isinstance(s, dict):
        return float(s)
    name = s["name"]
    if name == "constant":
        return s["initial"]
    if name == "step":
        return s["initial"] * s.get("gamma", 0.1) ** (t // s["stepSize"])
    if name == "exponential":
        return s["initial"] * s["gamma"] ** t
    if name == "cosine":
        length, eta_min = _length(s, "tMax", total_steps), s.get("etaMin", 0)
        return eta_min if t >= length else eta_min + (s["initial"] - eta_min) * (1 + math.cos(math.pi * t / length)) / 2
    if name == "linearWarmup":
        w, then = s["warmupSteps"], s["then"]
        rest = None if total_steps is None else max(1, total_steps - w)
        return _rate(then, 0, state, rest) * t / w if t < w else _rate(then, t - w, state, rest)
    if name == "oneCycle":
        total = _length(s, "totalSteps", total_steps)
        initial = s["maxLr"] / s.get("divFactor", 25)
        low = initial / s.get("finalDivFactor", 1e4)
        peak, end = s.get("pctStart", 0.3) * total - 1, total - 1
        anneal = lambda a, b, pct: b + (a - b) / 2 * (math.cos(math.pi * pct) + 1)
        if t <= peak:
            return anneal(initial, s["maxLr"], t / peak if peak > 0 else 1)
        return anneal(s["maxLr"], low, min(1, (t - peak) / (end - peak)))
    if name == "reduceOnPlateau":
        return state.get("lr", s["initial"])
    raise ValueError(f"learningRate.name {name!r} is not a descent schedule")


# ----------------------------------------------------------------------------------------------
# load / save

def load(path, dtype: torch.dtype = torch.float32):
    """A descent checkpoint (path or bytes) -> (model, optimizer, schedule, spec).

    model: DescentModel with the weights and running statistics, in train mode; optimizer: the
    torch.optim optimizer of the spec, its state() holding descent's slots and step; schedule: a
    Schedule (spec, step, state; .scheduler(optimizer) gives torch's); spec: the checkpoint's spec."""
    tensors, metadata = _read(path)
    spec = _from_json(metadata["spec"])
    normalization = _from_json(metadata.get("normalization", "null"))
    step = int(tensors["optimizer.step"]) if "optimizer.step" in tensors else 0
    if spec.get("normalize") and normalization is None:
        raise ValueError("checkpoint spec has normalize: true but no feature statistics yet (descent takes them from "
                         "the first fit's rows): fit once in descent before continuing in torch")
    model = DescentModel(spec, normalization)
    names = set(model.state_dict())
    missing = sorted(names - set(tensors))
    unexpected = sorted(n for n in set(tensors) - names if not n.startswith("optimizer."))
    if missing or unexpected:
        raise ValueError(f"checkpoint tensors do not match its spec: missing {missing}, unexpected {unexpected}")
    model.load_state_dict({name: tensors[name] for name in names})
    model.to(dtype)
    model._descent_metadata = {k: metadata[k] for k in ("epoch", "history", "optimizer", "schedule") if k in metadata}

    options = spec.get("optimizer") or {"name": "sgd"}
    name = options.get("name", "sgd")
    scalars = _from_json(metadata.get("optimizer", "{}"))
    schedule = Schedule(options.get("learningRate"), step, _from_json(metadata.get("schedule", "{}")), name)
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if name in ("lion", "lamb"):
        _torch_optimizer(options, [], 0.0)  # raises, saying torch has no such optimizer
    try:
        rate = schedule.lr()
    except ValueError:  # an 'auto' length: known once schedule.scheduler(optimizer, total_steps=…) is called
        rate = None
    optimizer = _torch_optimizer(options, [p for _, p in named], 0.0 if rate is None else rate)
    if rate is None:
        for group in optimizer.param_groups:
            group["lr"] = math.nan  # a step before scheduler(…, total_steps) sets it shows up at once
    for group in optimizer.param_groups:
        group["descent_step"] = step
    optimizer.register_step_post_hook(_count_steps)
    slots = _SLOTS[name](options)
    for n, p in named:
        # torch makes state at the first step; Adagrad's sum exists from the start (its initial value)
        if step == 0 and name != "adagrad":
            continue
        entry: dict[str, torch.Tensor] = {}
        if name != "sgd":
            entry["step"] = torch.tensor(float(step), dtype=torch.float32)
        for slot in slots:
            entry[slot] = tensors[f"optimizer.{slot}.{n}"].to(dtype).clone()
        if name == "nadam":
            entry["mu_product"] = torch.tensor(scalars.get("mu_product", 1.0), dtype=torch.float32)
        optimizer.state[p] = entry
    return model, optimizer, schedule, spec


def _unwrap(model: nn.Module) -> nn.Module:
    return model.module if hasattr(model, "module") and isinstance(model.module, nn.Module) else model


def _f32(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to(torch.float32).contiguous().cpu()


def save(path, model: nn.Module, optimizer: torch.optim.Optimizer | None, spec: dict, *, scheduler=None, step: int | None = None) -> bytes:
    """Writes model + optimizer as a descent checkpoint that createTrainer(bytes) resumes; returns the bytes.

    model: the DescentModel load() gave (DistributedDataParallel-wrapped is fine), or any module whose
    parameters and buffers come in the spec's tensor order with its shapes. The spec's optimizer takes
    the torch optimizer's class and hyper-parameters (a learningRate schedule is kept). `scheduler`: a
    ReduceLROnPlateau whose best and bad epochs to keep; `step`: the optimizer steps done, when the
    optimizer did not come from load() (torch's SGD counts none)."""
    model = _unwrap(model)
    spec = json.loads(json.dumps(spec))
    metadata_in = getattr(model, "_descent_metadata", {})
    reference = DescentModel(spec)  # descent's tensor names and shapes, in order
    tensors = _named_tensors(model, reference)
    by_param = {id(p): n for n, p in _parameter_names(model, reference)}
    step_count = step
    if optimizer is not None:
        previous = spec.get("optimizer") or {}
        spec["optimizer"] = _optimizer_spec(optimizer, previous)
        name = spec["optimizer"]["name"]
        states = {by_param[id(p)]: optimizer.state.get(p, {}) for g in optimizer.param_groups for p in g["params"]}
        if step_count is None:
            step_count = optimizer.param_groups[0].get("descent_step")
        if step_count is None:
            steps = {int(s["step"]) for s in states.values() if "step" in s}
            if len(steps) > 1:
                raise ValueError(f"optimizer state has different step counts per parameter ({sorted(steps)}); descent keeps one")
            step_count = steps.pop() if steps else None
        if step_count is None:
            if any(states.values()):
                raise ValueError("save(): the optimizer keeps no step count (torch's SGD): pass step=<optimizer steps done>")
            step_count = 0
        scalars = {}
        for slot in _SLOTS[name](spec["optimizer"]):
            for n, p in _parameter_names(model, reference):
                if not p.requires_grad:  # trainable: false: descent keeps no slots for it
                    continue
                value = states.get(n, {}).get(slot)
                if value is None and name == "adagrad" and slot == "sum":
                    value = torch.full_like(p, spec["optimizer"].get("initialAccumulatorValue", 0))
                tensors[f"optimizer.{slot}.{n}"] = _f32(value if value is not None else torch.zeros_like(p))
        if name == "nadam":
            products = {float(s["mu_product"]) for s in states.values() if "mu_product" in s}
            scalars["mu_product"] = products.pop() if products else 1.0
    else:
        scalars = _from_json(metadata_in.get("optimizer", "{}"))
    tensors["optimizer.step"] = torch.tensor(int(step_count or 0), dtype=torch.int64)
    schedule_state = _from_json(metadata_in.get("schedule", "{}"))
    rate = (spec.get("optimizer") or {}).get("learningRate")
    if isinstance(rate, dict) and rate.get("name") == "reduceOnPlateau" and optimizer is not None:
        schedule_state["lr"] = float(optimizer.param_groups[0]["lr"])
        if scheduler is not None:
            schedule_state["best"] = float(scheduler.best)
            schedule_state["badEpochs"] = int(scheduler.num_bad_epochs)
    normalization = getattr(model, "normalization", None)
    metadata = {
        "format": FORMAT,
        "spec": _to_json(spec),
        "epoch": str(metadata_in.get("epoch", "0")),
        "optimizer": _to_json(scalars),
        "schedule": _to_json(schedule_state),
        "normalization": _to_json(normalization),
        "history": metadata_in.get("history", "[]"),
    }
    data = _save_tensors(tensors, metadata)
    if path is not None:
        with open(path, "wb") as f:
            f.write(data)
    return data


def _parameter_names(model: nn.Module, reference: DescentModel) -> list[tuple[str, torch.Tensor]]:
    """(descent name, parameter) pairs: by name for a DescentModel, else in order with shapes checked."""
    wanted = list(reference.named_parameters())
    if isinstance(model, DescentModel):
        return list(model.named_parameters())
    got = list(model.parameters())
    if len(got) != len(wanted):
        raise ValueError(f"model has {len(got)} parameter tensors, the spec {len(wanted)} ({', '.join(n for n, _ in wanted)})")
    for (name, w), p in zip(wanted, got):
        if tuple(w.shape) != tuple(p.shape):
            raise ValueError(f"parameter for {name!r} must have shape {list(w.shape)}, got {list(p.shape)}")
    return [(name, p) for (name, _), p in zip(wanted, got)]


def _named_tensors(model: nn.Module, reference: DescentModel) -> dict[str, torch.Tensor]:
    """The checkpoint's tensors of a model: parameters, then buffers (running statistics), by descent name."""
    out = {name: _f32(p) for name, p in _parameter_names(model, reference)}
    wanted = list(reference.named_buffers())
    if isinstance(model, DescentModel):
        got = [dict(model.named_buffers())[n] for n, _ in wanted]
    else:
        got = [b for _, b in model.named_buffers()]
    if len(got) != len(wanted):
        raise ValueError(f"model has {len(got)} buffers, the spec {len(wanted)} ({', '.join(n for n, _ in wanted)})")
    for (name, _), b in zip(wanted, got):
        out[name] = b.detach().to(torch.int64).reshape(()) if name.endswith("num_batches_tracked") else _f32(b)
    return out


# ----------------------------------------------------------------------------------------------
# from_torch: an nn.Module -> a descent spec and checkpoint

_TORCH_ACTIVATIONS = {nn.ReLU: "relu", nn.Sigmoid: "sigmoid", nn.Tanh: "tanh", nn.GELU: "gelu", nn.LeakyReLU: "leaky_relu",
                      nn.Softmax: "softmax", nn.LogSoftmax: "log_softmax"}


def _leaves(module: nn.Module, prefix: str = "") -> list[tuple[str, nn.Module]]:
    if isinstance(module, nn.Sequential):
        return [leaf for name, child in module.named_children() for leaf in _leaves(child, f"{prefix}{name}.")]
    return [(prefix.rstrip("."), module)]


class _Add(nn.Module):
    """operator.add / torch.add of two tensors in a traced model (descent's `add`)."""

    def forward(self, a, b):
        return a + b


class _Concat(nn.Module):
    """torch.cat along `dim` in a traced model (descent's `concat`)."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, *tensors):
        return torch.cat(tensors, self.dim)


class _Recurrent(nn.Module):
    """An nn.LSTM / nn.GRU call (zero initial state) and the output a traced model picks from its
    tuple: every step (``out``) or the last (``out[:, -1]``, ``h_n[-1]``): descent's lstm / gru."""

    def __init__(self, rnn: nn.Module, last: bool):
        super().__init__()
        self.rnn = rnn
        self.last = last

    def forward(self, x):
        out = self.rnn(x)[0]
        return out[:, -1] if self.last else out


class _SelfAttention(nn.Module):
    """An nn.MultiheadAttention call with query, key and value the same tensor (descent's attention);
    ``causal`` is read from the call's attn_mask / is_causal when from_torch runs the model."""

    def __init__(self, attention: nn.MultiheadAttention):
        super().__init__()
        self.attention = attention
        self.causal = False

    def forward(self, x):
        steps = x.shape[1]
        mask = torch.triu(torch.ones(steps, steps, dtype=torch.bool, device=x.device), 1) if self.causal else None
        return self.attention(x, x, x, attn_mask=mask, need_weights=False)[0]


class _AddParameter(nn.Module):
    """x + a learned tensor of one row's shape [T, C] (descent's positionEmbedding, tensor ``weight``):
    an nn.Parameter, or an nn.Embedding(T, C) read at positions arange(T) (GPT-2's wpe; ``lookup``)."""

    def __init__(self, weight: nn.Parameter, lookup: nn.Embedding | None = None):
        super().__init__()
        self.weight = weight
        self.lookup = [lookup]  # a list: not a submodule (its weight is this step's own tensor)

    def forward(self, x):
        return x + self.weight


def _tensor_owner(m: nn.Module) -> tuple[nn.Module, bool]:
    """The module holding a step's tensors under descent's names, and whether they sit in its children."""
    if isinstance(m, _Recurrent):
        return m.rnn, False
    if isinstance(m, _SelfAttention):
        return m.attention, True  # out_proj.weight, out_proj.bias
    return m, False


def _kind(m: nn.Module) -> str:
    if isinstance(m, _AddParameter):
        return "Embedding" if m.lookup[0] is not None else "Parameter"
    return type(_tensor_owner(m)[0]).__name__


_FUNCTIONS = {F.relu: nn.ReLU, torch.relu: nn.ReLU, torch.tanh: nn.Tanh, torch.sigmoid: nn.Sigmoid, F.gelu: nn.GELU}
_METHODS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def _steps(module: nn.Module) -> list[tuple[str, nn.Module, list[int]]]:
    """The model as steps (name, module, indices of the steps it reads; -1: the input) in order: an
    nn.Sequential (nested ones flattened) as a chain, any other module traced with torch.fx."""
    if isinstance(module, nn.Sequential):
        leaves = [(n, m) for n, m in _leaves(module) if not isinstance(m, nn.Identity)]
        return [(name, m, [k - 1]) for k, (name, m) in enumerate(leaves)]
    import operator

    import torch.fx
    try:
        graph = torch.fx.symbolic_trace(module).graph
    except Exception as error:  # fx raises several kinds for data-dependent control flow
        raise ValueError(f"module {type(module).__name__} is no nn.Sequential and torch.fx cannot trace it: {error}") from error
    graph.eliminate_dead_code()  # tuple parts a model unpacks and never reads (`out, _ = self.lstm(x)`)
    index: dict[Any, int] = {}
    steps: list[tuple[str, nn.Module, list[int]]] = []
    # values that do not depend on the input's values (parameters, constants, masks, shapes): not steps
    static: set = set()
    # a sequence module's tuple (and an LSTM's state), until the part descent keeps is picked (_tuple_part)
    parts: dict[Any, tuple[str, Any]] = {}
    aliases: dict[Any, int] = {}
    made: set = set()
    for node in graph.nodes:
        where = f"node {node.name} ({node.op} {getattr(node.target, '__name__', node.target)})"
        if node.op == "placeholder":
            if index:
                raise ValueError(f"{where}: descent models have one input")
            index[node] = -1
            continue
        if node.op == "output":
            if index.get(node.args[0]) != len(steps) - 1:
                raise ValueError(f"{where}: the output must be the last computed tensor")
            continue
        if node in aliases:
            index[node] = aliases[node]
            continue
        shape_of = (node.op == "call_method" and node.target in ("size", "dim")) or (
            node.op == "call_function" and node.target is getattr and node.args[1:] in (("shape",), ("ndim",)))
        if shape_of or all(n in static for n in node.all_input_nodes):
            static.add(node)
            continue
        if node.op == "call_module" and isinstance(module.get_submodule(node.target), (nn.LSTM, nn.GRU, nn.MultiheadAttention)):
            parts[node] = ("tuple", node)
            continue
        if node.op == "call_function" and node.target is operator.getitem and node.args[0] in parts:
            part = _tuple_part(module, node, parts)
            if part is None:
                continue
            step, call, picks = part
            if call in made:
                raise ValueError(f"module {call.target} ({_kind(step)}) is read twice (every step and the last step, or "
                                 "out and h_n): descent's layer gives one output")
            made.add(call)
            for pick in picks:
                aliases[pick] = len(steps)
            index[node] = len(steps)
            steps.append((call.target, step, [index[_sequence_input(module, call)]]))
            continue
        tensors = [a for a in node.args if isinstance(a, torch.fx.Node)]
        if node.op == "call_module":
            step = module.get_submodule(node.target)
            name = node.target
        elif node.op == "call_function" and node.target in (operator.add, torch.add) and len(tensors) == 2 and len(node.args) == 2 \
                and any(t in static for t in tensors):
            learned = [t for t in tensors if t in static]
            lookup = module.get_submodule(learned[0].target) if learned[0].op == "call_module" else None
            if not isinstance(lookup, nn.Embedding):
                lookup = None
            parameter = lookup.weight if lookup is not None else \
                dict(module.named_parameters()).get(learned[0].target) if learned[0].op == "get_attr" else None
            if len(learned) != 1 or parameter is None:
                raise ValueError(f"{where} adds a tensor that does not depend on the input and is no parameter of the module "
                                 "(descent's positionEmbedding is a learned [T, C] parameter, or an nn.Embedding read at arange(T))")
            tensors = [t for t in tensors if t not in static]
            step, name = _AddParameter(parameter, lookup), learned[0].target
        elif node.op == "call_function" and node.target in (operator.add, torch.add) and len(tensors) == 2 and len(node.args) == 2:
            step, name = _Add(), node.name
        elif node.op == "call_function" and node.target is torch.cat:
            tensors = list(node.args[0])
            step, name = _Concat(node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)), node.name
        elif node.op == "call_function" and node.target is torch.flatten and node.args[1:] == (1,):
            step, name = nn.Flatten(), node.name
        elif node.op == "call_function" and node.target in _FUNCTIONS and len(node.args) == 1 and not node.kwargs:
            step, name = _FUNCTIONS[node.target](), node.name
        elif node.op == "call_method" and node.target in _METHODS and len(node.args) == 1:
            step, name = _METHODS[node.target](), node.name
        else:
            raise ValueError(f"{where} has no descent counterpart")
        if any(t not in index for t in tensors):
            raise ValueError(f"{where} reads a value descent cannot follow")
        index[node] = len(steps)
        steps.append((name, step, [index[t] for t in tensors]))
    return steps


def _is_last_step(node, hidden: bool) -> bool:
    """Whether a traced node picks the last step: out[:, -1] of out (N, T, U), or of h_n (1, N, U)
    h_n[-1], h_n[0] or h_n.squeeze(0)."""
    import operator
    everything = slice(None, None, None)
    if node.op == "call_function" and node.target is operator.getitem:
        return node.args[1] in ((-1, 0) if hidden else ((everything, -1), (everything, -1, everything)))
    return hidden and node.op == "call_method" and node.target == "squeeze" and node.args[1:] == (0,)


def _sequence_input(module: nn.Module, call) -> Any:
    """The tensor an LSTM / GRU / MultiheadAttention call reads; its other arguments checked."""
    m = module.get_submodule(call.target)
    where = f"module {call.target} ({type(m).__name__})"
    if isinstance(m, nn.MultiheadAttention):
        names = ["query", "key", "value"]
        qkv = list(call.args[:3]) + [call.kwargs[n] for n in names[len(call.args[:3]):] if n in call.kwargs]
        if len(qkv) != 3 or not (qkv[0] is qkv[1] is qkv[2]):
            raise ValueError(f"{where}: descent's attention is self-attention: query, key and value must be the same tensor")
        return qkv[0]
    if len(call.args) > 1 or any(v is not None for v in call.kwargs.values()):
        raise ValueError(f"{where} must start from the zero state (no hx argument), as descent's {type(m).__name__.lower()} does")
    return call.args[0]


def _tuple_part(module: nn.Module, node, parts: dict):
    """A getitem on a sequence module's tuple or state. None while the part is not yet a tensor descent
    has; else (the step, the module's call, the nodes that pick the last step and so are the step too):
    attention's output, or the RNN's out (every step, or the last when all its readers pick out[:, -1])
    or h_n (read only as h_n[-1])."""
    kind, call = parts[node.args[0]]
    m = module.get_submodule(call.target)
    where = f"module {call.target} ({type(m).__name__})"
    pick = node.args[1]
    if isinstance(m, nn.MultiheadAttention):
        if pick != 0:
            raise ValueError(f"{where}: only its output (item 0 of its tuple) has a descent counterpart, not the attention weights")
        return _SelfAttention(m), call, []
    if kind == "tuple" and pick == 0:
        last = [_is_last_step(u, False) for u in node.users]
        if any(last) and not all(last):
            raise ValueError(f"{where}: the model reads both every step and the last step; descent's {type(m).__name__.lower()} gives one of them")
        step = _Recurrent(m, bool(last) and all(last))
        return step, call, list(node.users) if step.last else []
    if kind == "tuple" and pick == 1 and isinstance(m, nn.LSTM):
        parts[node] = ("state", call)  # (h_n, c_n)
        return None
    if (kind == "tuple" and pick == 1) or (kind == "state" and pick == 0):
        if not node.users or not all(_is_last_step(u, True) for u in node.users):
            raise ValueError(f"{where}: read h_n as h_n[-1] (the last step); its (1, N, U) form has no descent counterpart")
        return _Recurrent(m, True), call, list(node.users)
    raise ValueError(f"{where}: the LSTM's c_n has no descent counterpart (descent's lstm gives h)")


def from_torch(module: nn.Module, input_shape, loss, optimizer: torch.optim.Optimizer | None = None, path=None, *,
               seed: int | None = None, step: int | None = None) -> bytes:
    """A descent checkpoint (bytes; also written to `path`) from a torch model of standard layers.

    module: an nn.Sequential, or a module torch.fx traces (residual models: `+` becomes `add`,
    torch.cat along the channels `concat`, the wiring `name` / `inputs`; DESIGN "Graph models").
    input_shape: one row as descent takes it, channels-last ([28, 28, 1], [T, C], or [T] token ids);
    the torch module takes the same rows channels-first ((N, C, H, W), (N, C, T)), as torch's layers
    want. nn.Flatten after convolutions becomes `{ type: 'flatten', dataFormat: 'channelsFirst' }`.
    loss: descent's loss spec. optimizer: a torch.optim optimizer over module's parameters, whose
    hyper-parameters and state cross too. A module with no descent counterpart raises, naming it.

    Sequence modules (traced): nn.LSTM / nn.GRU (one layer, batch_first, no hx) become lstm / gru by
    what the model reads of their tuple: ``out`` (every step: returnSequences), ``out[:, -1]`` or
    ``h_n[-1]`` / ``h_n.squeeze(0)`` (the last step); nn.MultiheadAttention called as self-attention
    ``attn(x, x, x, attn_mask=...)[0]`` becomes attention, causal when the mask is torch.triu(ones(T, T), 1)
    (bool, or -inf above the diagonal); ``x + self.p`` of an nn.Parameter of one row's shape [T, C],
    or ``x + self.wpe(torch.arange(T))`` of an nn.Embedding(T, C), becomes positionEmbedding. A model whose first layer is one of these (or a Linear) reads rows
    [T, C] as they are, (N, T, C)."""
    steps = _steps(module)
    if not steps:
        raise ValueError("module has no layers to convert")
    ids = isinstance(steps[0][1], nn.Embedding)
    readers: dict[int, list[int]] = {}
    for k, (_, _, ins) in enumerate(steps):
        for j in ins:
            readers.setdefault(j, []).append(k)
    # per step: the probe tensor (a batch of 2 run through the torch module), its layout ('flat' (N, n),
    # 'first' (N, C, ...), 'last' (N, ..., C) or 'ids') and descent's row shape; -1 is the input
    probe = torch.zeros(2, *input_shape, dtype=torch.long) if ids else torch.zeros(2, *input_shape)
    # rows [T, C] read by a sequence layer (or a Linear) are (N, T, C) for torch too (batch_first); else channels-first
    first = not ids and len(input_shape) > 1 and not isinstance(steps[0][1], (_Recurrent, _SelfAttention, _AddParameter, nn.Linear))
    _read_sequence_calls(module, steps, _to_first(probe) if first else probe)
    seen: dict[int, tuple[torch.Tensor, str, list[int]]] = {
        -1: (_to_first(probe) if first else probe, "ids" if ids else ("first" if first else "last" if len(input_shape) > 1 else "flat"),
             list(input_shape))}
    entry_of: dict[int, int] = {-1: -1}  # step -> descent entry (fused steps share their entry)
    layers: list[dict] = []
    sources: list[tuple[str, nn.Module, int]] = []  # (torch name, module, descent entry)
    was_training = module.training
    module.eval()
    try:
        for k, (name, m, ins) in enumerate(steps):
            if k in entry_of:  # fused into the entry before
                continue
            where = f"module {name or '0'} ({_kind(m)})"
            probes = [seen[j][0] for j in ins]
            _, layout, shape = seen[ins[0]]
            if isinstance(m, (_Add, _Concat)):
                layer = _merge_spec(m, where, [seen[j] for j in ins])
            else:
                layer = _layer_spec(m, where, layout, shape, k == 0)
            with torch.no_grad():
                out = m(*probes)
            # an activation read only by the layer before becomes its activation; AdaptiveAvgPool(1) + Flatten one globalavgpool
            after = [steps[r] for r in readers.get(k, [])]
            if len(after) == 1 and (
                    layer.get("type", "dense") in ("dense", "conv1d", "conv2d") and _activation_of(after[0][1], layout, shape, None)
                    or layer.get("type") == "globalavgpool"):
                fused = readers[k][0]
                if layer.get("type") == "globalavgpool":
                    if not isinstance(steps[fused][1], nn.Flatten):
                        raise ValueError(f"{where} imports as globalavgpool only when a Flatten follows it")
                else:
                    layer["activation"] = _activation_of(steps[fused][1], layout, shape, None)
                with torch.no_grad():
                    out = steps[fused][1](out)
                entry_of[fused] = len(layers)
                seen[fused] = (out, *_layout_after(layout, out))
            elif layer.get("type") == "globalavgpool":
                raise ValueError(f"{where} imports as globalavgpool only when a Flatten follows it")
            wanted = [entry_of[j] for j in ins]
            if wanted != [len(layers) - 1]:  # not the default (the entry before): wire by name
                layer["inputs"] = []
                for e in wanted:
                    if e >= 0:  # torch's name for it (unique among the steps)
                        layers[e].setdefault("name", sources[e][0] if sources[e][0] != "input" else "input_")
                    layer["inputs"].append(layers[e]["name"] if e >= 0 else "input")
            entry_of[k] = len(layers)
            seen[k] = (out, *_layout_after(layout, out))
            sources.append((name, m, len(layers)))
            layers.append(layer)
    finally:
        module.train(was_training)
    spec: dict[str, Any] = {"inputSize": input_shape[0]} if len(input_shape) == 1 and not ids else {"inputShape": list(input_shape)}
    spec.update(layers=layers, loss=loss)
    if seed is not None:
        spec["seed"] = seed
    tensors: dict[str, torch.Tensor] = {}
    for _, entry, i in sources:
        m, recurse = _tensor_owner(entry)
        for tname, p in m.named_parameters(recurse=recurse):
            tensors[f"{i}.{tname}"] = _f32(p)
        for tname, b in m.named_buffers(recurse=recurse):
            if b is not None:
                tensors[f"{i}.{tname}"] = b.detach().to(torch.int64).reshape(()) if tname == "num_batches_tracked" else _f32(b)
    model = DescentModel(spec)
    model.load_state_dict(tensors)
    if optimizer is not None:
        # the torch module's parameters -> the DescentModel's, whose names the checkpoint uses
        mapping = {id(p): model.get_parameter(f"{i}.{tn}") for _, entry, i in sources
                   for tn, p in _tensor_owner(entry)[0].named_parameters(recurse=_tensor_owner(entry)[1])}
        unknown = [p for g in optimizer.param_groups for p in g["params"] if id(p) not in mapping]
        if unknown:
            raise ValueError("optimizer holds parameters that are not the module's")
        if len({id(p) for g in optimizer.param_groups for p in g["params"]}) != len(mapping):
            raise ValueError("optimizer must hold every parameter of the module (descent trains them all)")
        shadow = _ShadowOptimizer(optimizer, mapping)
        return save(path, model, shadow, spec, step=step)
    spec["optimizer"] = {"name": "sgd", "learningRate": 1e-3}
    return save(path, model, None, spec)


def _read_sequence_calls(module: nn.Module, steps: list, probe: torch.Tensor) -> None:
    """Runs the module once on `probe` to read what its MultiheadAttention calls pass (descent's
    attention takes no mask but the causal one) and that its LSTM / GRU calls start from zero."""
    import inspect
    calls: dict[int, inspect.BoundArguments] = {}

    def record(m, args, kwargs):
        bound = inspect.signature(type(m).forward).bind(m, *args, **kwargs)
        bound.apply_defaults()
        calls[id(m)] = bound

    def owner(step):
        return step.lookup[0] if isinstance(step, _AddParameter) else _tensor_owner(step)[0]

    owners = [owner(step) for _, step, _ in steps if isinstance(step, (_Recurrent, _SelfAttention))
              or isinstance(step, _AddParameter) and step.lookup[0] is not None]
    if not owners:
        return
    hooks = [m.register_forward_pre_hook(record, with_kwargs=True) for m in owners]
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            module(probe)
    finally:
        module.train(was_training)
        for hook in hooks:
            hook.remove()
    for name, step, _ in steps:
        if not isinstance(step, (_Recurrent, _SelfAttention, _AddParameter)) or owner(step) is None:
            continue
        where = f"module {name} ({_kind(step)})"
        call = calls.get(id(owner(step)))
        if call is None:
            raise ValueError(f"{where} did not run when the model did")
        a = call.arguments
        if isinstance(step, _AddParameter):
            ids, table = a["input"], step.lookup[0]
            if not torch.equal(ids.flatten().cpu(), torch.arange(ids.numel())) or ids.dim() != 1:
                raise ValueError(f"{where} must be read at the positions torch.arange(T) to be descent's positionEmbedding")
            if table.num_embeddings != ids.numel() or table.padding_idx is not None or table.max_norm is not None:
                raise ValueError(f"{where}: descent's positionEmbedding holds exactly the T = {ids.numel()} rows it adds; this "
                                 f"nn.Embedding has {table.num_embeddings} (padding_idx {table.padding_idx}, max_norm {table.max_norm}): "
                                 f"build it as nn.Embedding(T, C) for the context length T the model runs at")
            continue
        if isinstance(step, _Recurrent):
            if a.get("hx") is not None:
                raise ValueError(f"{where} must start from the zero state (no hx argument), as descent's layer does")
            continue
        if a["key_padding_mask"] is not None:
            raise ValueError(f"{where}: key_padding_mask has no descent counterpart (descent's attention reads every position)")
        mask = a["attn_mask"]
        size = mask.shape[-1] if mask is not None else 0
        triu = torch.triu(torch.ones(size, size, dtype=torch.bool, device=mask.device if mask is not None else None), 1)
        if mask is None:
            step.causal = False
        elif a["is_causal"] and not a["need_weights"]:
            step.causal = True  # torch then ignores the mask's values and applies the causal one
        elif tuple(mask.shape) == (size, size) and (
                (mask.dtype == torch.bool and torch.equal(mask, triu))
                or (mask.is_floating_point() and bool((mask[triu] == float("-inf")).all()) and bool((mask[~triu] == 0).all()))):
            step.causal = True
        else:
            raise ValueError(f"{where}: attn_mask must be None or the causal mask torch.triu(torch.ones(T, T, dtype=torch.bool), 1) "
                             f"(or its float form, -inf above the diagonal), got a {list(mask.shape)} {mask.dtype} mask")


def _merge_spec(m: nn.Module, where: str, inputs: list[tuple[torch.Tensor, str, list[int]]]) -> dict:
    """descent's add or concat for a traced `+` or torch.cat, whose inputs must share their layout."""
    layouts = {layout for _, layout, _ in inputs}
    if len(layouts) != 1:
        raise ValueError(f"{where} joins tensors of different layouts ({', '.join(sorted(layouts))})")
    if isinstance(m, _Add):
        return {"type": "add"}
    _, layout, shape = inputs[0]
    rank = len(shape) + 1
    channels = 1 if layout == "first" and rank > 2 else rank - 1
    if m.dim % rank != channels:
        raise ValueError(f"{where} must concatenate along the channels (dim {channels}), got dim {m.dim}")
    return {"type": "concat"}


def _layer_spec(m: nn.Module, where: str, layout: str, shape: list[int], first: bool) -> dict:
    """descent's layer spec for one torch module reading a tensor of `layout` (descent row `shape`)."""
    layer: dict
    if isinstance(m, nn.Linear):
        if layout == "first" and len(shape) > 1:
            raise ValueError(f"{where} acts on the last axis of a channels-first tensor; descent's dense acts on channels: put a Flatten first")
        layer = {"units": m.out_features}
        if m.bias is None:
            layer["useBias"] = False
    elif isinstance(m, (nn.Conv1d, nn.Conv2d)):
        if m.groups != 1 or m.padding_mode != "zeros":
            raise ValueError(f"{where} with groups={m.groups}, padding_mode={m.padding_mode!r} has no descent counterpart (groups 1, zeros)")
        if layout != "first":
            raise ValueError(f"{where} needs a channels-first input; here the tensor is {layout}")
        axes = 2 if isinstance(m, nn.Conv2d) else 1
        one = lambda v: v[0] if len(set(v)) == 1 else list(v)
        layer = {"type": f"conv{axes}d", "filters": m.out_channels, "kernelSize": one(m.kernel_size)}
        if any(s != 1 for s in m.stride):
            layer["stride"] = one(m.stride)
        if isinstance(m.padding, str):
            if m.padding == "same":
                layer["padding"] = "same"
        elif any(p != 0 for p in m.padding):
            layer["padding"] = one(m.padding)
        if any(d != 1 for d in m.dilation):
            layer["dilation"] = one(m.dilation)
        if m.bias is None:
            layer["useBias"] = False
    elif isinstance(m, nn.Embedding):
        if not first or m.max_norm is not None or m.scale_grad_by_freq or m.sparse:
            raise ValueError(f"{where} must be the first layer, without max_norm, scale_grad_by_freq or sparse")
        layer = {"type": "embedding", "vocabSize": m.num_embeddings, "units": m.embedding_dim}
        if m.padding_idx is not None:
            layer["paddingIdx"] = m.padding_idx
    elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        if not m.affine or not m.track_running_stats or m.momentum is None:
            raise ValueError(f"{where} needs affine=True, track_running_stats=True and a momentum (descent's batchnorm)")
        if layout == "last" and len(shape) > 1:
            raise ValueError(f"{where} normalises dim 1, which is not the channels of this (N, T, C) tensor")
        layer = {"type": "batchnorm", "momentum": m.momentum, "eps": m.eps}
    elif isinstance(m, nn.LayerNorm):
        if len(m.normalized_shape) != 1 or not m.elementwise_affine or m.bias is None:
            raise ValueError(f"{where} must normalise one axis with weight and bias (descent's layernorm)")
        if layout == "first" and len(shape) > 1:
            raise ValueError(f"{where} normalises the last axis of a channels-first tensor, not the channels (descent's layernorm)")
        layer = {"type": "layernorm", "eps": m.eps}
    elif isinstance(m, nn.Dropout):
        layer = {"type": "dropout", "rate": m.p}
    elif isinstance(m, _Recurrent):
        rnn = m.rnn
        if rnn.num_layers != 1 or rnn.bidirectional or not rnn.batch_first or not rnn.bias or getattr(rnn, "proj_size", 0):
            raise ValueError(f"{where} must be one layer, one direction, batch_first=True, with biases and no proj_size (descent's "
                             f"{type(rnn).__name__.lower()}), got num_layers={rnn.num_layers}, bidirectional={rnn.bidirectional}, "
                             f"batch_first={rnn.batch_first}, bias={rnn.bias}")
        if layout != "last" or len(shape) != 2:
            raise ValueError(f"{where} reads (N, T, C) (batch_first); here the tensor is {layout} {shape}")
        layer = {"type": "lstm" if isinstance(rnn, nn.LSTM) else "gru", "units": rnn.hidden_size}
        if not m.last:
            layer["returnSequences"] = True
    elif isinstance(m, _SelfAttention):
        a = m.attention
        if not a.batch_first or not a._qkv_same_embed_dim or a.in_proj_bias is None or a.bias_k is not None or a.add_zero_attn:
            raise ValueError(f"{where} must be batch_first=True with bias, kdim = vdim = embed_dim, no add_bias_kv, no add_zero_attn "
                             "(descent's attention)")
        if layout != "last" or len(shape) != 2:
            raise ValueError(f"{where} reads (N, T, C) (batch_first); here the tensor is {layout} {shape}")
        if a.dropout:
            warnings.warn(f"{where}: dropout {a.dropout} on the attention weights is not carried over (descent's attention has none)")
        layer = {"type": "attention", "heads": a.num_heads}
        if m.causal:
            layer["causal"] = True
    elif isinstance(m, _AddParameter):
        if layout != "last" or list(m.weight.shape) != list(shape):
            raise ValueError(f"{where}: a learned tensor added to the rows must have their shape {shape} (channels-last), "
                             f"got {list(m.weight.shape)} on a {layout} tensor")
        layer = {"type": "positionEmbedding"}
    elif isinstance(m, (nn.LSTM, nn.GRU, nn.MultiheadAttention)):
        raise ValueError(f"{where} has no descent counterpart in an nn.Sequential (it returns a tuple): call it in a module's "
                         "forward and pick its output (out, out[:, -1] or h_n[-1]; attention(x, x, x)[0]), which from_torch traces")
    elif type(m) in _TORCH_ACTIVATIONS:
        layer = {"type": "activation", "activation": _activation_of(m, layout, shape, where)}
    elif isinstance(m, nn.Flatten):
        if m.start_dim != 1 or m.end_dim != -1:
            raise ValueError(f"{where} must flatten dims 1 to -1, got {m.start_dim} to {m.end_dim}")
        layer = {"type": "flatten"}
        if layout == "first" and len(shape) > 1:
            layer["dataFormat"] = "channelsFirst"
    elif isinstance(m, (nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d)):
        layer = _pool_spec(m, where, layout)
    elif isinstance(m, (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d)):
        size = m.output_size if isinstance(m.output_size, (tuple, list)) else [m.output_size]
        if any(s != 1 for s in size) or layout != "first":
            raise ValueError(f"{where} imports as globalavgpool only with output size 1, on channels-first input, followed by Flatten")
        layer = {"type": "globalavgpool"}
    else:
        raise ValueError(f"{where} has no descent counterpart (supported: Linear, Conv1d/2d, Max/AvgPool1d/2d, "
                         "AdaptiveAvgPool(1) + Flatten, Flatten, BatchNorm1d/2d, LayerNorm, Embedding, Dropout, activations, + and torch.cat, "
                         "LSTM, GRU, MultiheadAttention (self-attention), + of a learned [T, C] parameter)")
    return layer


class _ShadowOptimizer:
    """An optimizer's param groups and state re-keyed onto another model's parameters (for save)."""

    def __init__(self, optimizer: torch.optim.Optimizer, mapping: dict[int, torch.Tensor]):
        self.param_groups = [{**g, "params": [mapping[id(p)] for p in g["params"]]} for g in optimizer.param_groups]
        self.state = {mapping[id(p)]: s for p, s in optimizer.state.items() if id(p) in mapping}
        self.kind = type(optimizer)  # _optimizer_spec names the optimizer by its class


def _activation_of(m: nn.Module | None, layout: str, shape: list[int], where: str | None) -> str | None:
    """descent's name of activation module m (None when m is no activation, or an error when `where` is given)."""
    name = _TORCH_ACTIVATIONS.get(type(m))
    if name is None:
        return None
    if name == "leaky_relu" and m.negative_slope != 0.01:
        if where is None:
            return None
        raise ValueError(f"{where} negative_slope must be 0.01 (descent's leaky_relu), got {m.negative_slope}")
    if name == "gelu" and m.approximate != "none":
        if where is None:
            return None
        raise ValueError(f"{where} must be exact (approximate='none'), got {m.approximate!r}")
    if name in ("softmax", "log_softmax"):
        rank = len(shape) + 1
        channel = 1 if layout == "first" else rank - 1
        if m.dim is None or (m.dim % rank) != channel:
            if where is None:
                return None
            raise ValueError(f"{where} must act on the channels (dim {channel}), got dim {m.dim}")
    return name


def _pool_spec(m: nn.Module, where: str, layout: str) -> dict:
    if layout != "first":
        raise ValueError(f"{where} needs a channels-first input")
    if getattr(m, "ceil_mode", False) or getattr(m, "return_indices", False) or getattr(m, "divisor_override", None) is not None:
        raise ValueError(f"{where} with ceil_mode, return_indices or divisor_override has no descent counterpart")
    if isinstance(m, (nn.AvgPool1d, nn.AvgPool2d)) and not m.count_include_pad:
        raise ValueError(f"{where} needs count_include_pad=True (descent counts padding as zeros)")
    if isinstance(m, (nn.MaxPool1d, nn.MaxPool2d)) and any(d != 1 for d in _per_axis(m.dilation, 2)):
        raise ValueError(f"{where} with dilation has no descent counterpart")
    axes = 2 if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)) else 1
    kind = ("max" if isinstance(m, (nn.MaxPool1d, nn.MaxPool2d)) else "avg") + f"pool{axes}d"
    squeeze = lambda v: (lambda l: l[0] if len(set(l)) == 1 else l)(_per_axis(list(v) if isinstance(v, tuple) else v, axes))
    layer = {"type": kind, "poolSize": squeeze(m.kernel_size)}
    stride = squeeze(m.stride if m.stride is not None else m.kernel_size)
    if stride != layer["poolSize"]:
        layer["stride"] = stride
    padding = squeeze(m.padding)
    if padding != 0:
        layer["padding"] = padding
    return layer


def _layout_after(layout: str, probe: torch.Tensor) -> tuple[str, list[int]]:
    """The torch tensor's layout after a layer, and descent's row shape (channels-last)."""
    row = list(probe.shape[1:])
    if probe.dim() == 2:
        return "flat", row
    if layout == "first":
        return "first", [*row[1:], row[0]]
    return "last", row

"""PyTorch builds of Ridge architectures, from their canonical encoding.

Used by the benchmarks to run the *same* network in PyTorch: the layers,
BN placement and activations follow supernet/blocks.cc and docs/design.md §12.
"""
import math

import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "relu6": nn.ReLU6, "hard_swish": nn.Hardswish, "gelu": nn.GELU}


def make_divisible(v, divisor=8):
    """timm's make_divisible: nearest multiple of 8, at least 8, never below 90%."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def conv_bn(cin, cout, k, s, groups=1, act=None, bn=True):
    layers = [nn.Conv2d(cin, cout, k, s, (k - 1) // 2, groups=groups, bias=False)]
    if bn:
        layers.append(nn.BatchNorm2d(cout))
    if act is not None:
        layers.append(act())
    return nn.Sequential(*layers)


class LayerScale(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gamma = nn.Parameter(torch.full((1, c, 1, 1), 1e-5))

    def forward(self, x):
        return x * self.gamma


class UIB(nn.Module):
    def __init__(self, cin, a, m, s, cout, e, act, layer_scale):
        super().__init__()
        self.residual = s == 1 and cin == cout
        layers = []
        if a:
            layers.append(conv_bn(cin, cin, a, 1 if m else s, groups=cin))
        hidden = cin if (e == 1 and a == 0) else make_divisible(cin * e)
        if not (e == 1 and a == 0):
            layers.append(conv_bn(cin, hidden, 1, 1, act=act))
        if m:
            layers.append(conv_bn(hidden, hidden, m, s, groups=hidden, act=act))
        layers.append(conv_bn(hidden, cout, 1, 1))
        if layer_scale:
            layers.append(LayerScale(cout))
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class Fused(nn.Module):
    def __init__(self, cin, k, s, cout, e, act):
        super().__init__()
        self.residual = s == 1 and cin == cout
        hidden = make_divisible(cin * e)
        self.body = nn.Sequential(conv_bn(cin, hidden, k, s, act=act), conv_bn(hidden, cout, 1, 1))

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


def build(encoding):
    """Returns (model, input shape (c, h, w), classes) for a 'v1 ...' encoding."""
    head, blocks = encoding.split(" : ")
    _, hwc, classes, act, ls = head.split(" ")
    h, w, c = (int(v) for v in hwc.split("x"))
    classes = int(classes.split("=")[1])
    act = ACTIVATIONS[act.split("=")[1]]
    layer_scale = ls == "ls=1"
    layers, cin = [], c
    for token in blocks.split(" "):
        name, _, args = token.partition("(")
        vals = [float(v) for v in args.rstrip(")").split(",")] if args else []
        if name == "conv":
            k, s, f = (int(v) for v in vals)
            layers.append(conv_bn(cin, f, k, s, act=act))
            cin = f
        elif name == "uib":
            a, m, s, f = (int(v) for v in vals[:4])
            layers.append(UIB(cin, a, m, s, f, vals[4], act, layer_scale))
            cin = f
        elif name == "fused":
            k, s, f = (int(v) for v in vals[:3])
            layers.append(Fused(cin, k, s, f, vals[3], act))
            cin = f
        elif name == "pool":
            layers.append(nn.AdaptiveAvgPool2d(1))
        elif name == "fc":
            layers += [nn.Flatten(), nn.Linear(cin, classes)]
        else:
            raise ValueError("block %s is not supported by the PyTorch builder" % token)
    return nn.Sequential(*layers), (c, h, w), classes

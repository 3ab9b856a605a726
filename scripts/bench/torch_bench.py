#!/usr/bin/env python3
"""PyTorch side of `npm run bench`: the same conv ops and a plain-PyTorch StyleGAN2 (skip G,
resnet D, the stylegan2-ada architecture the project implements) with the GAN-Control training
step, written for the benchmark. Prints one JSON object on stdout; times in milliseconds.

The step matches packages/trainer's `step()` for the shapes preset: G main (non-saturating loss +
a contrastive loss on three cheap differentiable image attributes, same fake batch, Adam), D main
(logistic loss, Adam), optionally R1 on the reals (dRegInterval 1, to amortise a lazy R1), no
path length, no noise inputs, no style mixing.
"""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--threads', type=int, default=2)
p.add_argument('--reps', type=int, default=5)
p.add_argument('--steps', type=int, default=3)
p.add_argument('--resolutions', default='32,64')
p.add_argument('--sections', default='conv,gan')
p.add_argument('--check', default=None, help='folder with weights.json/weights.bin from the Node side: load them, write check.json')
p.add_argument('--faces', default=None, help='folder with faces.json/faces.bin from the Node side (the face plugins\' weights and one image batch): section "plugins" times the three face networks on them')
p.add_argument('--check-faces', action='store_true', help='with --faces: write each network\'s output and input gradient on the batch (<name>.out.bin, <name>.grad.bin) instead of timing')
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)
SQRT2 = math.sqrt(2.0)


def timeit(fn, reps):
    """Wall ms (median, min) and the process's CPU ms (all threads; median), as the Node side."""
    fn()
    times, cpu = [], []
    for _ in range(reps):
        t = time.perf_counter()
        c = time.process_time()
        fn()
        cpu.append((time.process_time() - c) * 1000)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    cpu.sort()
    return {'median': times[len(times) // 2], 'min': times[0], 'reps': reps, 'cpu': cpu[len(cpu) // 2]}


def blas_info():
    """The BLAS and convolution libraries this PyTorch uses (for the bench header)."""
    import os
    import re
    cfg = torch.__config__.show()
    parts = []
    m = re.search(r'BLAS_INFO=([^,]+)', cfg)
    if m:
        parts.append(f'BLAS_INFO={m.group(1)}')
    lib = '/usr/lib/x86_64-linux-gnu/libblas.so.3'
    if m and m.group(1) == 'generic' and os.path.exists(lib):
        parts.append(f'libblas.so.3 -> {os.path.realpath(lib)}')
    m = re.search(r'(Intel\(R\) MKL-DNN v[\d.]+|oneDNN v[\d.]+)', cfg)
    if m:
        parts.append(f'{m.group(1)} (convolutions)')
    m = re.search(r'CPU capability usage: (\w+)', cfg)
    if m:
        parts.append(m.group(1))
    return '; '.join(parts)


out = {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'blas': blas_info()}

if 'conv' in args.sections:
    x = torch.randn(16, 64, 32, 32)
    w = torch.randn(64, 64, 3, 3)
    dy = torch.randn(16, 64, 32, 32)
    with torch.no_grad():
        out['conv'] = {
            'forward': timeit(lambda: F.conv2d(x, w, padding=1), args.reps),
            'gradInput': timeit(lambda: torch.nn.grad.conv2d_input(x.shape, w, dy, padding=1), args.reps),
            'gradFilter': timeit(lambda: torch.nn.grad.conv2d_weight(x, w.shape, dy, padding=1), args.reps),
        }

# --- StyleGAN2 (stylegan2-ada-pytorch semantics, equalized learning rate) -------------------------
FIR = torch.tensor([1.0, 3.0, 3.0, 1.0])
FIR2 = torch.outer(FIR, FIR)
FIR2 = FIR2 / FIR2.sum()


def blur(x, pad, gain=1.0):
    c = x.shape[1]
    k = (FIR2 * gain).to(x).view(1, 1, 4, 4).repeat(c, 1, 1, 1)
    x = F.pad(x, [pad[0], pad[1], pad[0], pad[1]])
    return F.conv2d(x, k, groups=c)


def upsample2(x):  # upfirdn2d(up=2, padding [2,1]) with gain 4, as the skip-architecture image path
    n, c, h, w = x.shape
    z = torch.zeros(n, c, h, 2, w, 2, dtype=x.dtype)
    z[:, :, :, 0, :, 0] = x
    return blur(z.view(n, c, 2 * h, 2 * w), (2, 1), gain=4.0)


def lrelu(x):
    return F.leaky_relu(x, 0.2) * SQRT2


class P(torch.nn.Module):
    pass


def param(*shape, zero=False):
    return torch.nn.Parameter(torch.zeros(*shape) if zero else torch.randn(*shape))


class Generator(torch.nn.Module):
    def __init__(self, res, groups, base=1024, cmax=64, layers=2, hidden=64, lr_mul=0.01):
        super().__init__()
        self.res, self.lr_mul = res, lr_mul
        ch = lambda r: min(base // r, cmax)
        self.stacks = torch.nn.ModuleList()
        self.groups = groups
        for g in groups:
            feats = [g] + [hidden] * (layers - 1) + [g]
            s = torch.nn.ParameterList()
            for i in range(layers):
                s.append(torch.nn.Parameter(torch.randn(feats[i], feats[i + 1]) / lr_mul))
                s.append(torch.nn.Parameter(torch.zeros(feats[i + 1])))
            self.stacks.append(s)
        self.wdim = sum(groups)
        self.const = param(ch(4), 4, 4)
        self.blocks = []
        self.ps = torch.nn.ParameterList()
        r = 4
        while r <= res:
            blk = {'res': r, 'convs': []}
            cin = ch(r // 2) if r > 4 else ch(4)
            cout = ch(r)
            for up, ci in ([(0, cout)] if r == 4 else [(2, cin), (0, cout)]):
                layer = {'up': up, 'aw': param(self.wdim, ci), 'ab': torch.nn.Parameter(torch.ones(ci)), 'w': param(cout, ci, 3, 3), 'b': param(cout, zero=True)}
                blk['convs'].append(layer)
            blk['rgb'] = {'aw': param(self.wdim, cout), 'ab': torch.nn.Parameter(torch.ones(cout)), 'w': param(3, cout, 1, 1), 'b': param(3, zero=True)}
            for layer in blk['convs'] + [blk['rgb']]:
                for v in layer.values():
                    if isinstance(v, torch.nn.Parameter):
                        self.ps.append(v)
            self.blocks.append(blk)
            r *= 2

    def mapping(self, z):
        outs, off = [], 0
        for g, s in zip(self.groups, self.stacks):
            x = z[:, off:off + g]
            off += g
            x = x * (x.square().mean(1, keepdim=True) + 1e-8).rsqrt()
            for i in range(0, len(s), 2):
                w, b = s[i], s[i + 1]
                x = lrelu(x @ (w * (self.lr_mul / math.sqrt(w.shape[0]))) + b * self.lr_mul)
            outs.append(x)
        return torch.cat(outs, 1)

    @staticmethod
    def modconv(x, layer, w_lat, demod, gain_style=1.0):
        styles = (w_lat @ (layer['aw'] / math.sqrt(layer['aw'].shape[0])) + layer['ab']) * gain_style
        # The weight gain only where demodulation follows (it cancels there); ToRGB carries its
        # gain in the styles (gain_style), as official ToRGBLayer.
        wt = layer['w'] * (1 / math.sqrt(layer['w'][0].numel())) if demod else layer['w']
        x = x * styles[:, :, None, None]
        if layer.get('up'):
            x = F.conv_transpose2d(x, wt.transpose(0, 1), stride=2)
            x = blur(x, (1, 1), gain=4.0)
        else:
            x = F.conv2d(x, wt, padding=wt.shape[-1] // 2)
        if demod:
            d = ((styles.square() @ wt.square().sum([2, 3]).t()) + 1e-8).rsqrt()
            x = x * d[:, :, None, None]
        return x

    def synthesis(self, w):
        x = self.const.unsqueeze(0).repeat(w.shape[0], 1, 1, 1)
        img = None
        for blk in self.blocks:
            for layer in blk['convs']:
                x = lrelu(self.modconv(x, layer, w, True) + layer['b'][None, :, None, None])
            y = self.modconv(x, blk['rgb'], w, False, 1 / math.sqrt(x.shape[1])) + blk['rgb']['b'][None, :, None, None]
            img = y if img is None else upsample2(img) + y
        return img


class Discriminator(torch.nn.Module):
    def __init__(self, res, base=1024, cmax=64, mbstd=4):
        super().__init__()
        ch = lambda r: min(base // r, cmax)
        self.mbstd = mbstd
        self.fromrgb = param(ch(res), 3, 1, 1)
        self.fromrgb_b = param(ch(res), zero=True)
        self.blocks = torch.nn.ModuleList()
        r = res
        while r >= 8:
            b = torch.nn.ParameterDict({
                'w0': param(ch(r), ch(r), 3, 3), 'b0': param(ch(r), zero=True),
                'w1': param(ch(r // 2), ch(r), 3, 3), 'b1': param(ch(r // 2), zero=True),
                'skip': param(ch(r // 2), ch(r), 1, 1),
            })
            self.blocks.append(b)
            r //= 2
        c = ch(4)
        self.wc = param(c, c + 1, 3, 3)
        self.bc = param(c, zero=True)
        self.fc = param(c * 16, c)
        self.fcb = param(c, zero=True)
        self.out = param(c, 1)
        self.outb = param(1, zero=True)

    @staticmethod
    def conv(x, w, b=None, down=False, pad=1):
        g = 1 / math.sqrt(w[0].numel())
        if down:
            x = blur(x, (2, 2) if w.shape[-1] == 3 else (1, 1))
            x = F.conv2d(x, w * g, stride=2)
        else:
            x = F.conv2d(x, w * g, padding=pad)
        return x if b is None else x + b[None, :, None, None]

    def forward(self, img):
        x = lrelu(self.conv(img, self.fromrgb, self.fromrgb_b, pad=0))
        for b in self.blocks:
            y = self.conv(x, b['skip'], down=True, pad=0) * math.sqrt(0.5)
            x = lrelu(self.conv(x, b['w0'], b['b0']))
            x = lrelu(self.conv(x, b['w1'], b['b1'], down=True)) * math.sqrt(0.5)
            x = x + y
        n, c, h, w = x.shape
        g = min(self.mbstd, n)
        y = x.reshape(g, -1, 1, c, h, w)
        y = (y - y.mean(0)).square().mean(0)
        y = (y + 1e-8).sqrt().mean([2, 3, 4]).reshape(-1, 1, 1, 1).repeat(g, 1, h, w)
        x = torch.cat([x, y], 1)
        x = lrelu(self.conv(x, self.wc, self.bc))
        x = lrelu(x.flatten(1) @ (self.fc / math.sqrt(self.fc.shape[0])) + self.fcb)
        return x @ (self.out / math.sqrt(self.out.shape[0])) + self.outb


def attributes(img):
    """Three cheap differentiable image attributes standing in for the shapes plugins."""
    n, c, h, w = img.shape
    lum = img.mean(1)
    wts = torch.softmax(lum.flatten(1) * 4, 1).view(n, h, w)
    ys = torch.linspace(-1, 1, h)[None, :, None]
    xs = torch.linspace(-1, 1, w)[None, None, :]
    pos = torch.stack([(wts * ys).sum([1, 2]), (wts * xs).sum([1, 2])], 1)
    size = torch.sigmoid(lum * 8).mean([1, 2])[:, None]
    color = (img * torch.softmax(lum.flatten(1), 1).view(n, 1, h, w)).sum([2, 3])
    return [color, pos, size]


def contrastive(img, masks, tau_plus=0.1, tau_minus=0.5):
    total = 0
    for feats, mask in zip(attributes(img), masks):
        d = (feats[:, None, :] - feats[None, :, :]).square().sum(-1).add(1e-12).sqrt()
        same = (mask * F.relu(d - tau_plus).square()).sum() / mask.sum().clamp(min=1)
        diff = ((1 - mask) * F.relu(tau_minus - d).square()).sum() / (1 - mask).sum().clamp(min=1)
        total = total + same + diff
    return total


def phase_clock(phases):
    """mark(name) adds the seconds since the previous mark to phases[name] (ms); no-op for None."""
    if phases is None:
        return lambda name: None
    last = [time.perf_counter()]

    def mark(name):
        now = time.perf_counter()
        phases[name] = phases.get(name, 0.0) + (now - last[0]) * 1000
        last[0] = now
    return mark


def load_same_weights(folder, res, groups):
    """G and D of this file with the project's weights (official stylegan2-ada names and layouts,
    written by the Node side from `Generator.stateDict()` / `Discriminator.stateDict()`), and the
    z / reals the project used."""
    import os
    meta = json.load(open(os.path.join(folder, 'weights.json')))
    blob = open(os.path.join(folder, 'weights.bin'), 'rb').read()

    def t(name):
        e = meta[name]
        n = 1
        for d in e['shape']:
            n *= d
        return torch.frombuffer(bytearray(blob[e['offset']:e['offset'] + 4 * n]), dtype=torch.float32).reshape(e['shape']).clone()

    G = Generator(res, groups)
    D = Discriminator(res)
    with torch.no_grad():
        for k, (name, stack) in enumerate(zip(meta['__groups__'], G.stacks)):
            for i in range(len(stack) // 2):
                stack[2 * i].copy_(t(f'G/mapping.groups.{name}.fc{i}.weight').t())
                stack[2 * i + 1].copy_(t(f'G/mapping.groups.{name}.fc{i}.bias'))
        G.const.copy_(t('G/synthesis.b4.const'))
        for blk in G.blocks:
            r = blk['res']
            names = ['conv1'] if r == 4 else ['conv0', 'conv1']
            for layer, nm in list(zip(blk['convs'], names)) + [(blk['rgb'], 'torgb')]:
                pre = f'G/synthesis.b{r}.{nm}'
                layer['aw'].copy_(t(pre + '.affine.weight').t())
                layer['ab'].copy_(t(pre + '.affine.bias'))
                layer['w'].copy_(t(pre + '.weight'))
                layer['b'].copy_(t(pre + '.bias'))
        D.fromrgb.copy_(t(f'D/b{res}.fromrgb.weight'))
        D.fromrgb_b.copy_(t(f'D/b{res}.fromrgb.bias'))
        r = res
        for b in D.blocks:
            b['w0'].copy_(t(f'D/b{r}.conv0.weight'))
            b['b0'].copy_(t(f'D/b{r}.conv0.bias'))
            b['w1'].copy_(t(f'D/b{r}.conv1.weight'))
            b['b1'].copy_(t(f'D/b{r}.conv1.bias'))
            b['skip'].copy_(t(f'D/b{r}.skip.weight'))
            r //= 2
        D.wc.copy_(t('D/b4.conv.weight'))
        D.bc.copy_(t('D/b4.conv.bias'))
        D.fc.copy_(t('D/b4.fc.weight').t())
        D.fcb.copy_(t('D/b4.fc.bias'))
        D.out.copy_(t('D/b4.out.weight').t())
        D.outb.copy_(t('D/b4.out.bias'))
    return G, D, t('z'), t('reals').permute(0, 3, 1, 2).contiguous()


if args.check:
    import os
    meta = json.load(open(os.path.join(args.check, 'weights.json')))
    res = meta['__resolution__']
    G, D, z, reals = load_same_weights(args.check, res, meta['__sizes__'])
    with torch.no_grad():
        w = G.mapping(z)
        img = G.synthesis(w)
        fake_logits = D(img)
        real_logits = D(reals)
        g_adv = F.softplus(-fake_logits).mean()
        d_loss = F.softplus(fake_logits).mean() + F.softplus(-real_logits).mean()
    img.permute(0, 2, 3, 1).contiguous().numpy().astype('float32').tofile(os.path.join(args.check, 'img.bin'))
    json.dump({'gAdv': g_adv.item(), 'd': d_loss.item(), 'fakeLogits': fake_logits.flatten().tolist(), 'realLogits': real_logits.flatten().tolist(), 'w': w.flatten().tolist()}, open(os.path.join(args.check, 'check.json'), 'w'))
    print(json.dumps({'ok': True}))
    raise SystemExit(0)


# --- The face plugins' networks (face-api's weights, the project's forwards) ------------------------
# The same three networks as packages/attribute-{age,face-id,pose}/src/network.ts, in plain NCHW
# PyTorch, with the plugins' preprocessing (centre crop, tfjs's bilinear resize, [-1, 1] → [0, 255])
# and, for pose, the weak-perspective fit (packages/attribute-pose/src/fit.ts). The Node side
# writes the weights it loaded (face-api's names, tfjs layouts) and the image batch; nothing is
# downloaded here.
MEAN_RGB = torch.tensor([122.782, 117.001, 104.298]).view(1, 3, 1, 1)


def read_blob(folder, stem):
    import os
    meta = json.load(open(os.path.join(folder, stem + '.json')))
    blob = open(os.path.join(folder, stem + '.bin'), 'rb').read()

    def t(name):
        e = meta['tensors'][name]
        n = 1
        for d in e['shape']:
            n *= d
        return torch.frombuffer(bytearray(blob[e['offset']:e['offset'] + 4 * n]), dtype=torch.float32).reshape(e['shape']).clone()
    return meta, t


def tf_same_pad(x, k, s, value=0.0):
    """TensorFlow's 'same' padding (the extra row/column at the bottom/right), explicitly."""
    h, w = x.shape[2], x.shape[3]
    ph = max((-(-h // s) - 1) * s + k - h, 0)
    pw = max((-(-w // s) - 1) * s + k - w, 0)
    if ph == 0 and pw == 0:
        return x
    return F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2], value=value)


def conv_w(f):  # tfjs [kh, kw, in, out] → torch [out, in, kh, kw]
    return f.permute(3, 2, 0, 1).contiguous()


def dw_w(f):  # tfjs depthwise [kh, kw, in, mult] → torch [in·mult, 1, kh, kw]
    kh, kw, c, m = f.shape
    return f.permute(2, 3, 0, 1).reshape(c * m, 1, kh, kw).contiguous()


def conv_same(x, w, b, stride):
    k = w.shape[-1]
    if stride == 1 and k % 2 == 1:
        return F.conv2d(x, w, b, padding=k // 2)
    return F.conv2d(tf_same_pad(x, k, stride), w, b, stride=stride)


def sep_same(x, p, stride=1):
    """tf.separableConv2d(x, depthwise, pointwise, stride, 'same') + bias."""
    dw, pw, b = p
    k = dw.shape[-1]
    if stride == 1:
        y = F.conv2d(x, dw, padding=k // 2, groups=x.shape[1])
    else:
        y = F.conv2d(tf_same_pad(x, k, stride), dw, stride=stride, groups=x.shape[1])
    return F.conv2d(y, pw, b)


def max_pool_same(x, k, s):
    return F.max_pool2d(tf_same_pad(x, k, s, value=float('-inf')), k, s)


def resize_matrix(n_in, n_out):
    """tfjs resizeBilinear (alignCorners false, halfPixelCenters false) along one axis as a
    [n_out, n_in] matrix: source = i · n_in / n_out, top = floor, bottom = min(top + 1, n_in − 1).
    The source position is computed in float32, as the wasm backend the project runs on computes
    it (its resize then matches to 2e-7; in float64, as the cpu backend does, it differs by 1e-5,
    enough to flip ReLUs and move the input gradient of these networks by ~1 % on noise images)."""
    import numpy as np
    m = torch.zeros(n_out, n_in)
    scale = np.float32(n_in / n_out)
    for i in range(n_out):
        src = np.float32(scale * np.float32(i))
        top = int(math.floor(src))
        bot = min(n_in - 1, int(math.ceil(src)))
        frac = float(np.float32(src - np.float32(top)))
        m[i, top] += 1 - frac
        m[i, bot] += frac
    return m


def to_layout(x, channels_last):
    """The networks run in NCHW or channels-last memory (oneDNN's preferred layout); the bench
    times both and keeps the faster, as it keeps PyTorch's faster thread count."""
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


class FacePre:
    """centreCropResize(images, 480/512, size) of packages/face-common, for NCHW [-1, 1] images."""

    def __init__(self, side, size, fraction=480 / 512):
        self.c = max(1, round(side * fraction))
        self.top = (side - self.c) // 2
        self.r = resize_matrix(self.c, size) if self.c != size else None

    def __call__(self, x):
        x = x[:, :, self.top:self.top + self.c, self.top:self.top + self.c]
        if self.r is not None:
            x = self.r @ x @ self.r.t()
        return (x + 1) * 127.5


class AgeNet:
    """face-api AgeGenderNet's age head on TinyXception (packages/attribute-age/src/network.ts)."""

    def __init__(self, t, pre='age/'):
        conv = lambda p: (conv_w(t(pre + p + '/filters')), t(pre + p + '/bias'))
        sep = lambda p: (dw_w(t(pre + p + '/depthwise_filter')), conv_w(t(pre + p + '/pointwise_filter')), t(pre + p + '/bias'))
        red = lambda p: (sep(p + '/separable_conv0'), sep(p + '/separable_conv1'), conv(p + '/expansion_conv'))
        self.conv_in = conv('entry_flow/conv_in')
        self.red0 = red('entry_flow/reduction_block_0')
        self.red1 = red('entry_flow/reduction_block_1')
        self.main = [[sep(f'middle_flow/main_block_{i}/separable_conv{k}') for k in range(3)] for i in range(2)]
        self.exit_red = red('exit_flow/reduction_block')
        self.exit_sep = sep('exit_flow/separable_conv')
        self.fc_w, self.fc_b = t(pre + 'fc/age/weights'), t(pre + 'fc/age/bias')
        self.pre = FacePre(128, 112)
        self.channels_last = False

    @staticmethod
    def reduction(x, p, activate):
        out = F.relu(x) if activate else x
        out = sep_same(out, p[0])
        out = sep_same(F.relu(out), p[1])
        out = max_pool_same(out, 3, 2)
        return out + conv_same(x, p[2][0], p[2][1], 2)

    def __call__(self, images):
        x = to_layout((self.pre(images) - MEAN_RGB) / 255, self.channels_last)
        out = F.relu(conv_same(x, *self.conv_in, 2))
        out = self.reduction(out, self.red0, False)
        out = self.reduction(out, self.red1, True)
        for b in self.main:
            y = sep_same(F.relu(out), b[0])
            y = sep_same(F.relu(y), b[1])
            y = sep_same(F.relu(y), b[2])
            out = y + out
        out = self.reduction(out, self.exit_red, True)
        out = F.relu(sep_same(out, self.exit_sep))
        out = F.avg_pool2d(out, 7, 2).flatten(1)
        return out @ self.fc_w + self.fc_b  # [B, 1] years


class FaceIdNet:
    """face-api FaceRecognitionNet (ResNet-34 style) + L2 normalisation (attribute-face-id)."""
    BLOCKS = [('conv32_1', False), ('conv32_2', False), ('conv32_3', False),
              ('conv64_down', True), ('conv64_1', False), ('conv64_2', False), ('conv64_3', False),
              ('conv128_down', True), ('conv128_1', False), ('conv128_2', False),
              ('conv256_down', True), ('conv256_1', False), ('conv256_2', False), ('conv256_down_out', True)]

    def __init__(self, t, pre='id/'):
        def layer(p):
            # conv + bias, then · scale + shift: one affine per channel after the conv
            return (conv_w(t(pre + p + '/conv/filters')), t(pre + p + '/conv/bias'), t(pre + p + '/scale/weights').view(1, -1, 1, 1), t(pre + p + '/scale/biases').view(1, -1, 1, 1))
        self.down = layer('conv32_down')
        self.blocks = [(down, layer(n + '/conv1'), layer(n + '/conv2')) for n, down in self.BLOCKS]
        self.fc = t(pre + 'fc')
        self.pre = FacePre(128, 150)
        self.channels_last = False

    @staticmethod
    def layer(x, p, stride, relu, same):
        w, b, sw, sb = p
        x = conv_same(x, w, b, stride) if same else F.conv2d(x, w, b, stride=stride)
        x = x * sw + sb
        return F.relu(x) if relu else x

    def __call__(self, images):
        x = to_layout((self.pre(images) - MEAN_RGB) / 255, self.channels_last)
        out = self.layer(x, self.down, 2, True, False)
        out = F.max_pool2d(out, 3, 2)
        for down, c1, c2 in self.blocks:
            if down:
                y = self.layer(self.layer(out, c1, 2, True, False), c2, 1, False, True)
                pooled = F.avg_pool2d(out, 2, 2)
                if pooled.shape[2] != y.shape[2] or pooled.shape[3] != y.shape[3]:
                    y = F.pad(y, [0, pooled.shape[3] - y.shape[3], 0, pooled.shape[2] - y.shape[2]])
                if pooled.shape[1] != y.shape[1]:
                    pooled = F.pad(pooled, [0, 0, 0, 0, 0, y.shape[1] - pooled.shape[1]])
                out = F.relu(pooled + y)
            else:
                y = self.layer(self.layer(out, c1, 1, True, True), c2, 1, False, True)
                out = F.relu(y + out)
        d = out.mean([2, 3]) @ self.fc
        return d / (d.square().sum(1, keepdim=True) + 1e-12).sqrt()  # [B, 128] unit rows


class PoseNet:
    """face-api FaceLandmark68Net + the weak-perspective mean-face fit (attribute-pose)."""

    def __init__(self, t, mean_face, pre='pose/'):
        sep = lambda p: (dw_w(t(pre + p + '/depthwise_filter')), conv_w(t(pre + p + '/pointwise_filter')), t(pre + p + '/bias'))
        self.blocks = []
        for i in range(4):
            c0 = ('conv', conv_w(t(pre + 'dense0/conv0/filters')), t(pre + 'dense0/conv0/bias')) if i == 0 else ('sep', sep(f'dense{i}/conv0'))
            self.blocks.append((c0, [sep(f'dense{i}/conv{k}') for k in (1, 2, 3)]))
        self.fc_w, self.fc_b = t(pre + 'fc/weights'), t(pre + 'fc/bias')
        self.pre = FacePre(128, 112)
        self.channels_last = False
        # A = Xc (Xcᵀ Xc)⁻¹ for the centred mean face, in float64 then float32 (fit.ts modelPseudoInverse)
        self.idx = sorted(int(k) for k in mean_face)
        X = torch.tensor([mean_face[str(i)] for i in self.idx], dtype=torch.float64)
        Xc = X - X.mean(0)
        self.A = (Xc @ torch.linalg.inv(Xc.t() @ Xc)).float()

    def landmarks(self, images):
        out = to_layout((self.pre(images) - MEAN_RGB) / 255, self.channels_last)
        for c0, convs in self.blocks:
            out1 = F.relu(conv_same(out, c0[1], c0[2], 2) if c0[0] == 'conv' else sep_same(out, c0[1], 2))
            out2 = sep_same(out1, convs[0])
            out3 = sep_same(F.relu(out1 + out2), convs[1])
            out4 = sep_same(F.relu(out1 + out2 + out3), convs[2])
            out = F.relu(out1 + out2 + out3 + out4)
        out = F.avg_pool2d(out, 7, 2).flatten(1)
        return out @ self.fc_w + self.fc_b  # [B, 136]

    def __call__(self, images):
        lm = self.landmarks(images)
        B = lm.shape[0]
        sel = lm.view(B, 68, 2)[:, self.idx] * torch.tensor([1.0, -1.0])
        centred = sel - sel.mean(1, keepdim=True)
        M = centred.transpose(1, 2) @ self.A  # [B, 2, 3]
        unit = lambda v: v / (v.square().sum(1, keepdim=True) + 1e-12).sqrt()
        r1 = unit(M[:, 0])
        r2raw = M[:, 1]
        r2 = unit(r2raw - (r1 * r2raw).sum(1, keepdim=True) * r1)
        r3 = torch.cross(r1, r2, dim=1)
        yaw = torch.atan2(r1[:, 2], r3[:, 2])
        pitch = torch.atan2(r2[:, 2], (r1[:, 2].square() + r3[:, 2].square() + 1e-12).sqrt())
        roll = torch.atan2(r2[:, 0], r2[:, 1])
        return torch.stack([yaw, pitch, roll], 1) * (180 / math.pi)  # [B, 3] degrees


def face_nets(folder):
    """The three networks, the image batch (NCHW) and each network's probe (see face_backward)."""
    meta, t = read_blob(folder, 'faces')
    images = t('images').permute(0, 3, 1, 2).contiguous()  # NHWC → NCHW
    nets = {'age': AgeNet(t), 'face-id': FaceIdNet(t), 'pose': PoseNet(t, meta['meanFace'])}
    return nets, images, {name: t('probe/' + name) for name in nets}


def face_backward(net, images, probe=None):
    """The bench's backward: d/dx Σ embed(x)² (the gradient the contrastive loss sends to images);
    with a probe, d/dx Σ embed(x) ⊙ probe (the check: face-id's rows are unit vectors, so the
    gradient of Σ embed² is zero up to rounding and says nothing)."""
    x = images.detach().requires_grad_(True)
    y = net(x)
    g, = torch.autograd.grad((y * probe).sum() if probe is not None else y.square().sum(), x)
    return g


if args.faces and args.check_faces:
    import os
    nets, images, probes = face_nets(args.faces)
    for name, net in nets.items():
        with torch.no_grad():
            y = net(images)
        g = face_backward(net, images, probes[name])
        y.contiguous().numpy().astype('float32').tofile(os.path.join(args.faces, name + '.out.bin'))
        g.permute(0, 2, 3, 1).contiguous().numpy().astype('float32').tofile(os.path.join(args.faces, name + '.grad.bin'))
    print(json.dumps({'ok': True}))
    raise SystemExit(0)

if 'plugins' in args.sections and args.faces:
    nets, images, _ = face_nets(args.faces)
    out['plugins'] = {}

    def faster(a, b):
        return a if a['median'] <= b['median'] else b

    for name, net in nets.items():
        def fwd():
            with torch.no_grad():
                return net(images)
        row = {}
        for cl in (False, True):  # each figure: the faster memory layout
            net.channels_last = cl
            layout = {'layout': 'channels_last' if cl else 'NCHW'}
            f = dict(timeit(fwd, args.reps), **layout)
            b = dict(timeit(lambda: face_backward(net, images), args.reps), **layout)
            row = {'forward': f, 'forwardBackward': b} if not row else {'forward': faster(row['forward'], f), 'forwardBackward': faster(row['forwardBackward'], b)}
        net.channels_last = False
        out['plugins'][name] = row

if 'gan' in args.sections or 'profile' in args.sections:
    out['gan'] = {}
    out['profile'] = {}
    groups = [8, 8, 8, 16]
    B = 16
    for res in [int(r) for r in args.resolutions.split(',') if r]:
        torch.manual_seed(res)
        G = Generator(res, groups)
        D = Discriminator(res)
        optG = torch.optim.Adam(list(G.parameters()), lr=0.0025, betas=(0.0, 0.99), eps=1e-8)
        optD = torch.optim.Adam(list(D.parameters()), lr=0.0025, betas=(0.0, 0.99), eps=1e-8)
        eye = torch.eye(B)
        masks = [torch.zeros(B, B) for _ in range(3)]
        for i in range(0, B, 2):
            m = masks[(i // 2) % 3]
            m[i, i + 1] = m[i + 1, i] = 1
        reals = torch.rand(B, 3, res, res) * 2 - 1

        G_ema = [p.detach().clone() for p in G.parameters()]
        w_avg = torch.zeros(sum(groups))

        def step(r1, phases=None):
            # The phases and their order are packages/trainer's step(): G main, w_avg, D main,
            # R1 as its own pass (official Dreg, lazy regularisation), EMA.
            mark = phase_clock(phases)
            z = torch.randn(B, sum(groups))
            mark('G batch')
            w = G.mapping(z)
            img = G.synthesis(w)
            adv = F.softplus(-D(img)).mean()
            mark('G forward (G, D, loss)')
            loss = adv + contrastive(img, masks)
            mark('G contrastive forward')
            optG.zero_grad(set_to_none=True)
            loss.backward()
            mark('G backward')
            optG.step()
            mark('G optimiser')
            with torch.no_grad():
                w_avg.copy_(w.detach().mean(0).lerp(w_avg, 0.995))
            mark('G w_avg')
            with torch.no_grad():
                fake = G.synthesis(G.mapping(torch.randn(B, sum(groups))))
            mark('D fakes (G forward)')
            loss = F.softplus(D(fake)).mean() + F.softplus(-D(reals)).mean()
            mark('D forward')
            optD.zero_grad(set_to_none=True)
            loss.backward()
            mark('D backward')
            optD.step()
            mark('D optimiser')
            if r1:
                real = reals.detach().requires_grad_(True)
                g, = torch.autograd.grad(D(real).sum(), real, create_graph=True)
                loss = g.square().sum([1, 2, 3]).mean() * (5.0 / 2)
                optD.zero_grad(set_to_none=True)
                loss.backward()
                mark('R1 (forward, double backward)')
                optD.step()
                mark('D optimiser')
            with torch.no_grad():
                for e, p in zip(G_ema, G.parameters()):
                    e.copy_(p.lerp(e, 0.99))
            mark('EMA')

        def gen(n):
            with torch.no_grad():
                return G.synthesis(G.mapping(torch.randn(n, sum(groups))))

        if 'gan' in args.sections:
            out['gan'][str(res)] = {
                'generatorForward16': timeit(lambda: gen(16), args.reps),
                'generatorForward1': timeit(lambda: gen(1), args.reps),
                'stepNoR1': timeit(lambda: step(False), args.steps),
                'stepR1': timeit(lambda: step(True), args.steps),
            }
        if 'profile' in args.sections:
            step(True)
            phases = {}
            t0 = time.perf_counter()
            for _ in range(args.steps):
                step(True, phases)
            prof = {k: v / args.steps for k, v in phases.items()}
            prof['step'] = (time.perf_counter() - t0) * 1000 / args.steps
            out['profile'][str(res)] = prof

print(json.dumps(out))

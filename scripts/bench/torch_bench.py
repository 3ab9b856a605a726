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

"""PyTorch CPU peer for `npm run bench`: the same nets as the engine's zoo, timed the same way.

Prints one JSON object: {"torch": version, "threads": n, "results": {net: {"trainImgPerSec", "inferImgPerSec"}}}.
"""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
BATCH = 64


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.flatten(1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        return F.relu(y + (x if self.short is None else self.short(x)))


class ResNet(nn.Module):
    def __init__(self, depth, cin=3, classes=10):
        super().__init__()
        n = (depth - 2) // 6
        self.conv = nn.Conv2d(cin, 16, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        layers, c = [], 16
        for i, w in enumerate([16, 32, 64]):
            for j in range(n):
                layers.append(Block(c, w, 2 if (i > 0 and j == 0) else 1))
                c = w
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)))
        x = self.layers(x)
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def bench(net, shape, train_steps, infer_steps):
    x = torch.rand(BATCH, *shape)
    y = torch.randint(0, 10, (BATCH,))
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    net.train()

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()

    for _ in range(2):
        step()
    times = []
    cpu0 = time.process_time()
    for _ in range(train_steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    train_cpu = BATCH * train_steps / (time.process_time() - cpu0)
    train = BATCH / statistics.median(times)
    net.eval()
    with torch.no_grad():
        for _ in range(2):
            net(x)
        times = []
        cpu0 = time.process_time()
        for _ in range(infer_steps):
            t = time.perf_counter()
            net(x)
            times.append(time.perf_counter() - t)
        infer_cpu = BATCH * infer_steps / (time.process_time() - cpu0)
    infer = BATCH / statistics.median(times)
    # img per CPU-second over all threads: comparable when other work shares the machine
    return {"trainImgPerSec": train, "inferImgPerSec": infer, "trainImgPerCpuSec": train_cpu, "inferImgPerCpuSec": infer_cpu}


results = {
    "lenet5": bench(LeNet5(), (1, 28, 28), 20, 20),
    "resnet20": bench(ResNet(20), (3, 32, 32), 10, 10),
    "resnet8": bench(ResNet(8, cin=1), (1, 28, 28), 10, 10),
}
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}))

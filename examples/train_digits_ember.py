"""Train a LeNet-style CNN on scikit-learn's handwritten digits, written for ember.

The same program as train_digits.py, written with ember's own names (`import ember`,
`from ember import nn`, `ember.vision`) for code that targets ember directly; it runs
with plain Python, no `ember run` and no PyTorch needed:

    python examples/train_digits_ember.py
    tensorboard --logdir runs/train_digits_ember/tensorboard
"""
import argparse
import os
import time

import matplotlib

matplotlib.use("Agg")  # write PNG files; no window needed
import matplotlib.pyplot as plt
import ember
import ember.nn.functional as F
import ember.vision
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from ember import nn
from ember.utils.data import DataLoader, TensorDataset
from ember.utils.tensorboard import SummaryWriter
from tqdm import tqdm


class LeNet(nn.Module):
    """LeNet-5 with ReLU and max pooling, for 1x16x16 inputs (the 8x8 digits upsampled)."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(),  # 6 x 16 x 16
            nn.MaxPool2d(2),                                       # 6 x 8 x 8
            nn.Conv2d(6, 16, kernel_size=5, padding=2), nn.ReLU(), # 16 x 8 x 8
            nn.MaxPool2d(2),                                       # 16 x 4 x 4
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * 4 * 4, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def load_data(seed):
    """1,797 real 8x8 digit scans (values 0..16) -> normalised 1x16x16 float tensors."""
    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.images, digits.target, test_size=0.2, random_state=seed, stratify=digits.target)
    x_train = ember.tensor(x_train, dtype=ember.float32).unsqueeze(1) / 16.0
    x_test = ember.tensor(x_test, dtype=ember.float32).unsqueeze(1) / 16.0
    normalize = ember.vision.transforms.Normalize(x_train.mean().item(), x_train.std().item())

    def prepare(x, labels):
        x = F.interpolate(x, scale_factor=2)  # nearest: each pixel becomes a 2x2 block
        return TensorDataset(normalize(x), ember.tensor(labels, dtype=ember.int64))

    return prepare(x_train, y_train), prepare(x_test, y_test)


def evaluate(model, loader):
    model.eval()
    correct, total, loss = 0, 0, 0.0
    with ember.no_grad():
        for x, y in loader:
            out = model(x)
            loss += F.cross_entropy(out, y, reduction="sum").item()
            correct += (out.argmax(dim=1) == y).sum().item()
            total += y.numel()
    return loss / total, correct / total


def plot_curves(history, path):
    epochs = range(1, len(history["train_loss"]) + 1)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax1.plot(epochs, history["train_loss"], "o-", label="train")
    ax1.plot(epochs, history["test_loss"], "s--", label="test")
    ax1.set_xlabel("epoch"), ax1.set_ylabel("cross-entropy loss"), ax1.legend()
    ax2.plot(epochs, [100 * a for a in history["train_acc"]], "o-", label="train")
    ax2.plot(epochs, [100 * a for a in history["test_acc"]], "s--", label="test")
    ax2.set_xlabel("epoch"), ax2.set_ylabel("accuracy (%)"), ax2.legend()
    fig.suptitle(f"LeNet on scikit-learn digits ({ember.__name__})")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=int(os.environ.get("DIGITS_EPOCHS", 8)))
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=os.path.join("runs", "train_digits_ember"),
                        help="folder for the TensorBoard logs, checkpoint and plot")
    args = parser.parse_args()

    ember.manual_seed(args.seed)
    train_set, test_set = load_data(args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=256)
    print(f"{ember.__name__} {ember.__version__}: {len(train_set)} training and "
          f"{len(test_set)} test images of {tuple(train_set[0][0].shape)}")

    model = LeNet()
    optimizer = ember.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = ember.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, args.epochs // 2),
                                                gamma=0.3)
    # one folder per run, so TensorBoard shows reruns side by side
    writer = SummaryWriter(os.path.join(args.out, "tensorboard", time.strftime("%Y%m%d-%H%M%S")))
    images, _ = next(iter(train_loader))
    writer.add_image("digits", ember.vision.utils.make_grid(images[:32], normalize=True), 0)
    writer.add_graph(model, images[:1])

    history = {"train_loss": [], "train_acc": [], "test_loss": [], "test_acc": []}
    step, start = 0, time.time()
    for epoch in range(1, args.epochs + 1):
        model.train()
        seen, correct, total_loss = 0, 0, 0.0
        bar = tqdm(train_loader, desc=f"epoch {epoch}/{args.epochs}", unit="batch",
                   leave=True)
        for x, y in bar:
            out = model(x)
            loss = F.cross_entropy(out, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            seen += y.numel()
            total_loss += loss.item() * y.numel()
            correct += (out.argmax(dim=1) == y).sum().item()
            writer.add_scalar("loss/train_batch", loss.item(), step)
            bar.set_postfix(loss=f"{total_loss / seen:.3f}", acc=f"{correct / seen:.1%}")
        scheduler.step()
        test_loss, test_acc = evaluate(model, test_loader)
        for key, value in (("train_loss", total_loss / seen), ("train_acc", correct / seen),
                           ("test_loss", test_loss), ("test_acc", test_acc)):
            history[key].append(value)
        writer.add_scalars("loss", {"train": total_loss / seen, "test": test_loss}, epoch)
        writer.add_scalar("accuracy/test", test_acc, epoch)
        writer.add_histogram("conv1.weight", model.features[0].weight, epoch)
        tqdm.write(f"epoch {epoch}: train loss {total_loss / seen:.4f}, "
                   f"test loss {test_loss:.4f}, test accuracy {test_acc:.2%}")
    writer.close()

    checkpoint = os.path.join(args.out, "lenet_digits.pt")
    ember.save({"epoch": args.epochs, "model": model.state_dict(),
                "optimizer": optimizer.state_dict(), "history": history}, checkpoint)

    # A fresh model from the checkpoint, as a later session would load it.
    restored = LeNet()
    state = ember.load(checkpoint, weights_only=True)
    restored.load_state_dict(state["model"])
    _, accuracy = evaluate(restored, test_loader)

    curves = os.path.join(args.out, "curves.png")
    plot_curves(history, curves)
    print(f"trained {args.epochs} epochs in {time.time() - start:.1f}s")
    print(f"checkpoint {checkpoint}, curves {curves}, "
          f"TensorBoard: tensorboard --logdir {os.path.join(args.out, 'tensorboard')}")
    print(f"test accuracy (reloaded checkpoint): {accuracy:.2%}")


if __name__ == "__main__":
    main()

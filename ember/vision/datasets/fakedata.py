"""FakeData: random images drawn from ember's generator, as torchvision draws them."""
from .vision import VisionDataset


class FakeData(VisionDataset):
    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index):
        from ..._ops.random_ops import get_rng_state, set_rng_state, manual_seed, randn, randint
        from ..transforms import functional as F
        if index >= len(self):
            raise IndexError(f"{type(self).__name__} index out of range")
        state = get_rng_state()
        manual_seed(index + self.random_offset)
        img = randn(*self.image_size)
        target = randint(0, self.num_classes, size=(1,), dtype=None)[0]
        set_rng_state(state)
        img = F.to_pil_image(img)
        img, target = self._apply_transforms(img, target)
        return img, target.item()

    def __len__(self):
        return self.size

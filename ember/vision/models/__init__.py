"""ember.vision.models: torchvision's classification zoo, with its weights enums."""
from ._api import get_model, get_model_builder, get_model_weights, get_weight, list_models, \
    Weights, WeightsEnum
from .alexnet import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .googlenet import *  # noqa: F401,F403
from .mobilenetv2 import *  # noqa: F401,F403
from .mobilenetv3 import *  # noqa: F401,F403
from .squeezenet import *  # noqa: F401,F403
from .densenet import *  # noqa: F401,F403
from .shufflenetv2 import *  # noqa: F401,F403

"""ember.nn: modules, layers, losses, functional, init, utils (torch.nn's layout)."""
from . import functional  # noqa: F401
from .parameter import (Parameter, Buffer, UninitializedParameter,  # noqa: F401
                        UninitializedBuffer)
from .modules import *  # noqa: F401,F403
from .modules import module, container  # noqa: F401
from . import init, modules, parameter, utils  # noqa: F401
from .modules.module import (register_module_forward_pre_hook,  # noqa: F401
                             register_module_forward_hook,
                             register_module_full_backward_hook,
                             register_module_full_backward_pre_hook)

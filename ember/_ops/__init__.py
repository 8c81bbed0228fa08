"""Op definitions, grouped by kind.  Importing this installs the Tensor methods."""
from . import elementwise, shape, inplace, index, reduce, linalg  # noqa: F401
from . import sort, shape_extra, nn_ops, conv, random_ops  # noqa: F401

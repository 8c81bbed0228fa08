"""ember.utils.model_zoo: the old home of ``load_url`` (now ``ember.hub``)."""
from ..hub import load_state_dict_from_url as load_url  # noqa: F401

__all__ = ["load_url"]

"""The hparams plugin's three session summaries (experiment, session start, session end)."""


def _summary(tag, **content):
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.plugins.hparams import plugin_data_pb2
    data = plugin_data_pb2.HParamsPluginData(version=0, **content)
    meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(
        plugin_name="hparams", content=data.SerializeToString()))
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, metadata=meta)])


def hparams(hparam_dict, metric_dict, hparam_domain_discrete=None):
    """(experiment, session start, session end) summaries for the hparams plugin."""
    from google.protobuf import struct_pb2
    from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2
    from ._summary import _is_tensor, make_np
    if not isinstance(hparam_dict, dict):
        raise TypeError("parameter: hparam_dict should be a dictionary, nothing logged.")
    if not isinstance(metric_dict, dict):
        raise TypeError("parameter: metric_dict should be a dictionary, nothing logged.")
    domains = hparam_domain_discrete or {}
    if not isinstance(domains, dict):
        raise TypeError("parameter: hparam_domain_discrete should be a dictionary, "
                        "nothing logged.")
    for k, v in domains.items():
        if (k not in hparam_dict or not isinstance(v, list)
                or not all(isinstance(d, type(hparam_dict[k])) for d in v)):
            raise TypeError(f"parameter: hparam_domain_discrete[{k}] should be a list of same "
                            f"type as hparam_dict[{k}].")

    def domain(k, field):
        if k not in domains:
            return None
        return struct_pb2.ListValue(values=[struct_pb2.Value(**{field: d})
                                            for d in domains[k]])

    infos, start = [], plugin_data_pb2.SessionStartInfo()
    for k, v in hparam_dict.items():
        if v is None:
            continue
        # the order matters: bool is an int, so True is logged as the number 1.0
        if isinstance(v, (int, float)):
            start.hparams[k].number_value = v
            infos.append(api_pb2.HParamInfo(name=k, type=api_pb2.DATA_TYPE_FLOAT64,
                                            domain_discrete=domain(k, "number_value")))
        elif isinstance(v, str):
            start.hparams[k].string_value = v
            infos.append(api_pb2.HParamInfo(name=k, type=api_pb2.DATA_TYPE_STRING,
                                            domain_discrete=domain(k, "string_value")))
        elif _is_tensor(v):
            start.hparams[k].number_value = make_np(v).reshape(-1)[0]
            infos.append(api_pb2.HParamInfo(name=k, type=api_pb2.DATA_TYPE_FLOAT64))
        else:
            raise ValueError("value should be one of int, float, str, bool, or ember.Tensor")
    exp = api_pb2.Experiment(hparam_infos=infos, metric_infos=[
        api_pb2.MetricInfo(name=api_pb2.MetricName(tag=k)) for k in metric_dict])
    end = plugin_data_pb2.SessionEndInfo(status=api_pb2.STATUS_SUCCESS)
    return (_summary("_hparams_/experiment", experiment=exp),
            _summary("_hparams_/session_start_info", session_start_info=start),
            _summary("_hparams_/session_end_info", session_end_info=end))

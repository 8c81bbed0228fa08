"""hparams and custom-scalar layouts for TensorBoard's plugins."""


def _meta(content):
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.plugins.hparams import plugin_data_pb2
    data = plugin_data_pb2.HParamsPluginData(version=0, **content)
    return summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(
        plugin_name="hparams", content=data.SerializeToString()))


def _summary(tag, meta):
    from tensorboard.compat.proto import summary_pb2
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, metadata=meta)])


def hparams(hparam_dict, metric_dict, hparam_domain_discrete=None):
    """(experiment, session start, session end) summaries for the hparams plugin."""
    from google.protobuf import struct_pb2
    from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2
    domain = hparam_domain_discrete or {}
    infos, start = [], plugin_data_pb2.SessionStartInfo()
    for k, v in hparam_dict.items():
        if v is None:
            continue
        if hasattr(v, "item") and callable(v.item):
            v = v.item()
        if isinstance(v, bool):
            start.hparams[k].bool_value = v
            infos.append(api_pb2.HParamInfo(name=k, type=api_pb2.DATA_TYPE_BOOL))
        elif isinstance(v, (int, float)):
            start.hparams[k].number_value = v
            values = struct_pb2.ListValue(values=[struct_pb2.Value(number_value=d)
                                                  for d in domain.get(k, [])])
            infos.append(api_pb2.HParamInfo(name=k, type=api_pb2.DATA_TYPE_FLOAT64,
                                            domain_discrete=values if k in domain else None))
        elif isinstance(v, str):
            start.hparams[k].string_value = v
            values = struct_pb2.ListValue(values=[struct_pb2.Value(string_value=d)
                                                  for d in domain.get(k, [])])
            infos.append(api_pb2.HParamInfo(name=k, type=api_pb2.DATA_TYPE_STRING,
                                            domain_discrete=values if k in domain else None))
        else:
            raise ValueError("value should be one of int, float, str, bool, or torch.Tensor")
    metrics = [api_pb2.MetricInfo(name=api_pb2.MetricName(tag=k)) for k in metric_dict]
    exp = api_pb2.Experiment(hparam_infos=infos, metric_infos=metrics)
    end = plugin_data_pb2.SessionEndInfo(status=api_pb2.STATUS_SUCCESS)
    return (_summary("_hparams_/experiment", _meta({"experiment": exp})),
            _summary("_hparams_/session_start_info", _meta({"session_start_info": start})),
            _summary("_hparams_/session_end_info", _meta({"session_end_info": end})))


def custom_scalars(layout):
    """layout: {category: {chart title: ['Multiline' | 'Margin', [tags]]}}."""
    from tensorboard.compat.proto import summary_pb2, tensor_pb2
    from tensorboard.plugins.custom_scalar import layout_pb2
    categories = []
    for cat, charts in layout.items():
        cs = []
        for title, (kind, tags) in charts.items():
            if kind == "Multiline":
                cs.append(layout_pb2.Chart(title=title, multiline=layout_pb2.MultilineChartContent(
                    tag=tags)))
            else:
                series = [layout_pb2.MarginChartContent.Series(value=t[0], lower=t[1],
                                                               upper=t[2]) for t in [tags]]
                cs.append(layout_pb2.Chart(title=title,
                                           margin=layout_pb2.MarginChartContent(series=series)))
        categories.append(layout_pb2.Category(title=cat, chart=cs))
    proto = layout_pb2.Layout(category=categories)
    meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(
        plugin_name="custom_scalars"))
    tensor = tensor_pb2.TensorProto(dtype="DT_STRING", string_val=[proto.SerializeToString()],
                                    tensor_shape={})
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(
        tag="custom_scalars__config__", tensor=tensor, metadata=meta)])

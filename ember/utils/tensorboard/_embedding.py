"""add_embedding: the projector plugin's files (tensors.tsv, metadata.tsv, sprite.png)
under ``<logdir>/<step:05>/<tag>/`` and the run's projector_config.pbtxt."""
import io
import math
import os

from ..._backend import np
from ._image import make_grid
from ._summary import make_np


def _encode(tag):
    # a tag becomes one directory name: '%' and both slashes are percent-escaped
    return tag.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def _metadata_tsv(metadata, header):
    if not header:
        lines = [str(x) for x in metadata]
    else:
        if len(header) != len(metadata[0]):
            raise AssertionError("len of header must be equal to the number of columns in "
                                 "metadata")
        lines = ["\t".join(str(e) for e in row) for row in [header] + list(metadata)]
    return ("\n".join(lines) + "\n").encode()


def _sprite_png(label_img):
    """The label images on a square grid, as the projector expects its sprite."""
    from PIL import Image
    imgs = make_np(label_img)
    grid = make_grid(imgs, ncols=math.ceil(imgs.shape[0] ** 0.5)).transpose(1, 2, 0)
    square = np.zeros((grid.shape[1], grid.shape[1], 3))
    square[:grid.shape[0]] = grid
    out = io.BytesIO()
    # the values are scaled by 255 whatever their dtype, as PyTorch does
    Image.fromarray(np.uint8((square * 255).clip(0, 255))).save(out, format="PNG")
    return out.getvalue()


def write_embedding(writer, mat, metadata, label_img, global_step, tag, metadata_header):
    from google.protobuf import text_format
    from tensorboard.plugins.projector.projector_config_pb2 import (EmbeddingInfo,
                                                                    ProjectorConfig)
    mat = make_np(mat)
    step = 0 if global_step is None else global_step
    subdir = f"{str(step).zfill(5)}/{_encode(tag)}"
    logdir = writer._get_file_writer().get_logdir()
    save_path = os.path.join(logdir, subdir)
    if os.path.exists(save_path):
        if not os.path.isdir(save_path):
            raise NotADirectoryError(f"Path: `{save_path}` exists, but is a file. "
                                     f"Cannot proceed.")
        print("warning: Embedding dir exists, did you set global_step for add_embedding()?")
    else:
        os.makedirs(save_path)
    if metadata is not None:
        if mat.shape[0] != len(metadata):
            raise AssertionError("#labels should equal with #data points")
        _write(os.path.join(save_path, "metadata.tsv"),
               _metadata_tsv(metadata, metadata_header))
    if label_img is not None:
        if mat.shape[0] != label_img.shape[0]:
            raise AssertionError("#images should equal with #data points")
        _write(os.path.join(save_path, "sprite.png"), _sprite_png(label_img))
    if mat.ndim != 2:
        raise AssertionError("mat should be 2D, where mat.size(0) is the number of data "
                             "points")
    _write(os.path.join(save_path, "tensors.tsv"),
           "".join("\t".join(map(str, row)) + "\n" for row in mat.tolist()).encode())

    info = EmbeddingInfo(tensor_name=f"{tag}:{str(step).zfill(5)}",
                         tensor_path=os.path.join(subdir, "tensors.tsv"))
    if metadata is not None:
        info.metadata_path = os.path.join(subdir, "metadata.tsv")
    if label_img is not None:
        info.sprite.image_path = os.path.join(subdir, "sprite.png")
        info.sprite.single_image_dim.extend([label_img.shape[3], label_img.shape[2]])
    # the config is rewritten whole each time: not every filesystem can append
    if writer._projector_config is None:
        writer._projector_config = ProjectorConfig()
    writer._projector_config.embeddings.extend([info])
    _write(os.path.join(logdir, "projector_config.pbtxt"),
           text_format.MessageToString(writer._projector_config).encode())

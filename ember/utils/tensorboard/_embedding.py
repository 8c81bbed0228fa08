"""add_embedding: the projector plugin's files (tensors.tsv, metadata, sprite, config)."""
import os

from ..._backend import np
from ._summary import to_numpy, grid_nchw


def write_embedding(writer, mat, metadata, label_img, global_step, tag, metadata_header):
    mat = to_numpy(mat)
    step = 0 if global_step is None else global_step
    base = writer._get_file_writer().get_logdir()
    sub = f"{step:05}"
    folder = os.path.join(base, sub)
    os.makedirs(folder, exist_ok=True)
    if metadata is not None:
        if mat.shape[0] != len(metadata):
            raise AssertionError("#labels should equal with #data points")
        with open(os.path.join(folder, "metadata.tsv"), "w", encoding="utf8") as f:
            if metadata_header is not None:
                f.write("\t".join(str(h) for h in metadata_header) + "\n")
                f.writelines("\t".join(str(x) for x in row) + "\n" for row in metadata)
            else:
                f.writelines(f"{x}\n" for x in metadata)
    if label_img is not None:
        from PIL import Image
        imgs = to_numpy(label_img)
        if mat.shape[0] != imgs.shape[0]:
            raise AssertionError("#images should equal with #data points")
        n = int(np.ceil(np.sqrt(imgs.shape[0])))
        grid = grid_nchw(imgs, ncols=n).transpose(1, 2, 0)
        scale = 1 if grid.dtype == np.uint8 else 255
        Image.fromarray((grid.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)) \
            .save(os.path.join(folder, "sprite.png"))
    with open(os.path.join(folder, "tensors.tsv"), "w", encoding="utf8") as f:
        for row in mat.reshape(mat.shape[0], -1):
            f.write("\t".join(str(float(x)) for x in row) + "\n")
    lines = ["embeddings {", f'tensor_name: "{tag}:{sub}"',
             f'tensor_path: "{sub}/tensors.tsv"']
    if metadata is not None:
        lines.append(f'metadata_path: "{sub}/metadata.tsv"')
    if label_img is not None:
        h, w = to_numpy(label_img).shape[2:4]
        lines += [f'sprite {{image_path: "{sub}/sprite.png"',
                  f"single_image_dim: {w}", f"single_image_dim: {h}", "}"]
    lines.append("}")
    with open(os.path.join(base, "projector_config.pbtxt"), "a", encoding="utf8") as f:
        f.write("\n".join(lines) + "\n")

"""assistant.bert runs the packaged model on ONNX Runtime: the same vectors as sentence-transformers."""

from __future__ import annotations

import json
import shutil
import sys

import numpy as np
import pytest

from assistant import bert
from assistant.embedding import SentenceTransformerEmbedder, packaged_model_path

TEXTS = [
    "When did the Nepal programme start?",
    "x",
    "",
    "Résumé of the ICC seminar — 2009/2010, Tōkyō. ",
    "word " * 600,  # longer than max_seq_length: truncated the same way
    *[f"Prosecutors and judges from Viet Nam attended session {i}. " * (i % 6 + 1) for i in range(70)],
]


@pytest.fixture(scope="module")
def st_model():
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(packaged_model_path()), device="cpu", local_files_only=True)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


def test_the_packaged_model_takes_the_onnx_path(models):
    assert bert.supports(packaged_model_path())
    embedder = SentenceTransformerEmbedder(cache_dir=models)
    assert isinstance(embedder._load(), bert.OnnxEncoder)
    assert embedder.dim == 384 and embedder.name == "all-MiniLM-L6-v2"
    assert SentenceTransformerEmbedder(int8=True).name == f"all-MiniLM-L6-v2+int8-onnx-v{bert.EXPORT_VERSION}"  # its own cache entries


def test_same_vectors_as_sentence_transformers(st_model, models):
    ours = bert.load_encoder(packaged_model_path(), models, int8=False).encode(TEXTS, batch_size=16)
    theirs = st_model.encode(TEXTS, batch_size=16, normalize_embeddings=True, convert_to_numpy=True)
    assert ours.shape == theirs.shape == (len(TEXTS), 384)
    assert np.abs(ours - theirs).max() < 1e-5
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_order_and_batch_size_do_not_change_a_vector(models):
    enc = bert.load_encoder(packaged_model_path(), models, int8=False)
    one_by_one = np.stack([enc.encode([t])[0] for t in TEXTS[:6]])
    together = enc.encode(TEXTS[:6], batch_size=4)
    assert np.abs(one_by_one - together).max() < 1e-5
    assert enc.encode([]).shape == (0, 384)


def test_int8_stays_close_to_fp32(models, st_model):
    ours = bert.load_encoder(packaged_model_path(), models, int8=True).encode(TEXTS)
    fp32 = st_model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    cosines = (ours * fp32).sum(axis=1)
    assert cosines.mean() > 0.98 and cosines.min() > 0.95  # per-channel weight scales
    # and it is a different model file from the fp32 one
    assert len({p.name for p in models.glob("*.onnx")}) == 2


def test_the_export_is_written_once_and_reused(tmp_path):
    first = bert.load_encoder(packaged_model_path(), tmp_path, int8=False)
    files = list(tmp_path.glob("*.onnx"))
    assert len(files) == 1 and not list(tmp_path.glob(".export-*"))  # no leftovers of the export
    stamp = files[0].stat().st_mtime_ns
    second = bert.load_encoder(packaged_model_path(), tmp_path, int8=False)
    assert files[0].stat().st_mtime_ns == stamp
    assert np.allclose(first.encode(TEXTS[:3]), second.encode(TEXTS[:3]), atol=1e-6)


def test_an_unwritable_cache_folder_still_works(tmp_path):
    """An index folder that cannot be written (here: a file where a folder should be; root ignores
    permission bits): the export goes to a temporary folder for this process."""
    (tmp_path / "index").write_text("not a folder")
    enc = bert.load_encoder(packaged_model_path(), tmp_path / "index" / "models", int8=False)
    assert enc.encode(["a question"]).shape == (1, 384)
    assert (tmp_path / "index").read_text() == "not a folder"


def test_loading_a_cached_export_needs_no_torch(tmp_path):
    """What makes start-up fast: with the export on disk, torch is never imported."""
    import subprocess

    bert.load_encoder(packaged_model_path(), tmp_path, int8=True)
    code = (
        "import sys; from pathlib import Path; from assistant import bert; from assistant.embedding import packaged_model_path; "
        f"e = bert.load_encoder(packaged_model_path(), Path({str(tmp_path)!r}), int8=True); e.encode(['q']); "
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules, 'transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split() == ["False", "False", "False"]


def _copy_model(tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(packaged_model_path(), folder)
    return folder


def test_other_pooling_or_architecture_goes_to_sentence_transformers(tmp_path):
    folder = _copy_model(tmp_path)
    pooling = folder / "1_Pooling" / "config.json"
    data = json.loads(pooling.read_text())
    data |= {"pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}
    pooling.write_text(json.dumps(data))
    assert not bert.supports(folder)
    folder2 = _copy_model(tmp_path / "b")
    config = json.loads((folder2 / "config.json").read_text())
    (folder2 / "config.json").write_text(json.dumps(config | {"model_type": "roberta"}))
    assert not bert.supports(folder2)
    assert not bert.supports(tmp_path / "nowhere")


def test_weights_that_do_not_fit_are_refused(tmp_path):
    folder = _copy_model(tmp_path)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps(config | {"num_hidden_layers": 7}))
    with pytest.raises(ValueError, match="weights do not fit"):
        bert.load_encoder(folder, tmp_path / "cache", int8=False)


def test_a_damaged_export_is_made_again(tmp_path, caplog):
    target = bert.onnx_path(packaged_model_path(), tmp_path, int8=False)
    target.write_bytes(b"not an onnx file")
    enc = bert.load_encoder(packaged_model_path(), tmp_path, int8=False)
    assert enc.encode(["a question"]).shape == (1, 384)
    assert target.stat().st_size > 1_000_000 and "exporting it again" in caplog.text

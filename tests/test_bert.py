"""assistant.bert computes the packaged model's vectors without sentence-transformers: same numbers."""

from __future__ import annotations

import json
import shutil

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


def test_the_packaged_model_takes_the_fast_path():
    assert bert.supports(packaged_model_path())
    embedder = SentenceTransformerEmbedder()
    assert isinstance(embedder._load(), bert.FastEncoder)
    assert embedder.dim == 384


def test_same_vectors_as_sentence_transformers(st_model):
    ours = bert.FastEncoder(packaged_model_path()).encode(TEXTS, batch_size=16)
    theirs = st_model.encode(TEXTS, batch_size=16, normalize_embeddings=True, convert_to_numpy=True)
    assert ours.shape == theirs.shape == (len(TEXTS), 384)
    assert np.abs(ours - theirs).max() < 1e-5
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_order_and_batch_size_do_not_change_a_vector():
    enc = bert.FastEncoder(packaged_model_path())
    one_by_one = np.stack([enc.encode([t])[0] for t in TEXTS[:6]])
    together = enc.encode(TEXTS[:6], batch_size=4)
    assert np.abs(one_by_one - together).max() < 1e-5
    assert enc.encode([]).shape == (0, 384)


def test_int8_matches_sentence_transformers_int8(st_model):
    """The same dynamic quantisation as before (the one the evaluation suite validated). Activation
    scales are computed per batch, so batches of different make-up differ a little."""
    import torch

    st_int8 = torch.ao.quantization.quantize_dynamic(st_model, {torch.nn.Linear}, dtype=torch.qint8)
    enc = bert.FastEncoder(packaged_model_path(), int8=True)
    for text in TEXTS[:8]:  # batches of one: the same make-up on both sides
        ours = enc.encode([text])[0]
        theirs = st_int8.encode([text], normalize_embeddings=True, convert_to_numpy=True)[0]
        assert float(ours @ theirs) > 0.9999, text


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
        bert.FastEncoder(folder)

import pytest
import torch

from posenc.data.tokenizer import VOCAB_SIZE, decode, encode


@pytest.mark.parametrize("text", ["", "def f(x):\n    return x\n", "π ≈ 3.14159, naïve café 🐍"])
def test_encode_gives_utf8_bytes_and_decode_round_trips(text):
    ids = encode(text)
    assert ids.dtype == torch.uint8
    assert ids.tolist() == list(text.encode("utf-8"))
    assert decode(ids) == text
    assert decode(ids.tolist()) == text


def test_vocabulary_is_the_256_byte_values():
    assert VOCAB_SIZE == 256
    assert int(encode("\x00\x7f").max()) < VOCAB_SIZE


def test_decode_replaces_invalid_utf8():
    # 0xff never occurs in UTF-8; a lone continuation byte 0x80 neither
    assert decode(torch.tensor([104, 0xFF, 105, 0x80], dtype=torch.uint8)) == "h\ufffdi\ufffd"


def test_decode_rejects_values_outside_a_byte():
    with pytest.raises(ValueError, match="ids"):
        decode([65, 300])


def test_encode_rejects_non_text():
    with pytest.raises(ValueError, match="text"):
        encode(b"bytes")  # type: ignore[arg-type]

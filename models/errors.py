"""Errors a person reads: a code and the fields it names, so that the page can say it in any language.

    try:
        load_upload(files)
    except UploadError as err:
        err.code, err.fields      # "upload_missing", {"file": "lstm.safetensors", "needs": "lstm.json", ...}
        str(err)                  # the English message, for scripts and logs

``MESSAGES`` holds the English template of every code (``str(err)`` is made from it); ``ui.i18n``
renders the same code in Chinese or English. A field named ``kind`` holds a key of ``FILE_KINDS``,
which the page translates too. A field named ``detail`` holds a library's own words (English): the
Chinese page leaves it out.
"""
from __future__ import annotations

from collections.abc import Mapping

FILE_KINDS: Mapping[str, str] = {"card": "model card", "vocab": "vocabulary file", "weights": "weight file"}

MESSAGES: Mapping[str, str] = {
    # any model file (models.pretrained, models.files.jsonfile, models.vocab)
    "file_missing": "{where}: {kind} is missing",
    "file_unreadable": "{where}: {kind} cannot be read ({detail})",
    "bad_json": "{where}: {kind} is not valid JSON ({detail})",
    "not_object": "{where}: {kind} must be a JSON object",
    "vocab_format": "{where}: not a vocabulary in format {format!r}",
    "vocab_tokens": "{where}: 'tokens' must be a list of strings",
    "vocab_entries": "{where}: {detail}",
    "vocab_size": "{vocab}: {count} tokens, but {card} expects {expected}",
    "tokenizer_mode": "{where}: unknown tokenizer mode {mode!r}",
    "bad_config": "{where}: no usable 'config' ({detail})",
    "wrong_arch": "{where}: the config is for {found!r}, but the file is named for {arch!r}",
    "weights_mismatch": "{where}: weights do not match the model card: missing {missing}, unexpected {unexpected}",
    "tensor_mismatch": "{where}: {tensor} is {dtype} {shape}, expected {expected_dtype} {expected_shape}",
    "not_safetensors": "{where}: not a readable safetensors file (perhaps truncated, or a pickle renamed) ({detail})",
    "not_finite": "{where}: {tensor} holds NaN or infinite values",
    # a text (models.pretrained, models.asking.gradients)
    "empty_text": "no tokens to read",
    "empty_texts": "texts {texts} have no tokens to read",
    # a person's own unit property (models.units)
    "unit_regex_invalid": "not a usable regular expression ({detail})",
    "unit_regex_timeout": "the regular expression ran longer than {seconds} s on one text and was stopped (it may "
                          "backtrack without end); write it more simply",
    "unit_regex_slow": "the regular expression took more than {seconds} s over all the texts and was stopped; write "
                       "it more simply",
    # an upload (models.files.upload)
    "upload_too_big": "{where}: {size:.1f} MB, more than the {limit} MB an upload may hold",
    "upload_too_big_unpacked": "{where}: {size:.1f} MB unpacked, more than the {limit} MB an upload may hold",
    "upload_bad_zip": "{where}: not a readable zip file ({detail})",
    "upload_outside": "{where}: member {member!r} points outside the archive; refused",
    "upload_member_unreadable": "{where}: member {member!r} cannot be read ({detail})",
    "upload_empty_zip": "{where}: the zip is empty",
    "upload_pickle": "{where}: only safetensors weights are read (no pickles); save them with "
                     "safetensors.torch.save_file as {{arch}}.safetensors",
    "upload_twice": "{where}: {file} was uploaded twice (also {other})",
    "upload_no_model": "no model in the upload: expected vocab.json, {{arch}}.json and {{arch}}.safetensors for at "
                       "least one arch of {archs}. Files that arrived: {arrived}",
    "upload_missing": "{file} is missing from the upload ({needs} needs it). Files that arrived: {arrived}",
    "upload_weights_missing": "{file} did not arrive: {needs} came without it. Files that arrived: {arrived}. If you "
                              "chose {file}, the server may have refused it for its size (each file at most "
                              "{limit} MB as sent)",
}


class CodedError(Exception):
    """An error with a ``code`` (a key of MESSAGES) and the ``fields`` its message names; ``str()`` is English."""

    def __init__(self, code: str, **fields: object) -> None:
        self.code = code
        self.fields = dict(fields)
        super().__init__(english(code, self.fields))


def english(code: str, fields: Mapping[str, object]) -> str:
    """The English message of ``code`` with ``fields`` (a ``kind`` named in words)."""
    named = {**fields, "kind": FILE_KINDS.get(str(fields.get("kind")), fields.get("kind"))}
    return MESSAGES[code].format(**named)

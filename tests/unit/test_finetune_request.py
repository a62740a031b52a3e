"""The `/finetune` request: text and the modal's fields parse to one typed request, good requests
round-trip through a job row, bad ones get a clear message that names the option."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.finetune_request import FinetuneRequest, RequestError, RequestParser


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    folder = tmp_path_factory.mktemp("content") / "datasets"
    folder.mkdir()
    (folder / "toy_topics.csv").write_text("text,label\na,x\nb,y\n")
    return {"toy_topics": folder / "toy_topics.csv"}


@pytest.fixture(autouse=True)
def _parser(samples):
    global parse_request, help_text
    offline = RequestParser(samples, hub_online=lambda: False)

    def parse_request(text, hub_online=False):
        return RequestParser(samples, hub_online=lambda: hub_online).parse(text)

    help_text = offline.help_text
    yield


def test_full_example_parses():
    req = parse_request("data=toy_topics epochs=2 lr=5e-5 method=lora model=minilm text=body "
                        "label=queue per_class=16 check=yes")
    assert (req.data_kind, req.data, req.epochs, req.lr, req.method, req.model) == \
        ("sample", "toy_topics", 2, 5e-5, "lora", "minilm")
    assert (req.text_column, req.label_column, req.per_class, req.check_only) == \
        ("body", "queue", 16, True)


def test_defaults_and_round_trip():
    req = parse_request("data=toy_topics")
    assert req.model == "minilm" and req.method == "full" and req.lr is None
    assert req.learning_rate == 5e-5
    again = FinetuneRequest.from_dict(json.loads(json.dumps(req.to_dict())))
    assert again == req


def test_upload_and_sample_suffix_and_bare_name():
    assert parse_request("upload=F0123ABCD").data_kind == "upload"
    assert parse_request("data=toy_topics.csv").data == "toy_topics"
    assert parse_request("toy_topics epochs=1").epochs == 1
    assert parse_request('data=toy_topics text="my text"').text_column == "my text"
    assert parse_request("data=toy_topics model=distilbert-base-uncased", hub_online=True).model \
        == "distilbert"


def test_hub_dataset_only_when_online(monkeypatch):
    monkeypatch.setenv("TUTOR_HUB_DATASETS", "owner/name")  # allowlisted (see test_hub_data.py)
    assert parse_request("data=owner/name", hub_online=True).data_kind == "hub"
    with pytest.raises(RequestError) as err:
        parse_request("data=owner/name", hub_online=False)
    assert err.value.code == "hub_offline" and "hub" in err.value.message


BAD = [
    ("", "empty_request"),
    ("   ", "empty_request"),
    ("epochs=3", "missing_data"),
    ("data=http://example.com/x.csv", "url_not_allowed"),
    ("data=https://evil/x", "url_not_allowed"),
    ("data=ftp://host/file", "url_not_allowed"),
    ("data=/etc/passwd", "path_not_allowed"),
    ("data=../x", "path_not_allowed"),
    ("data=~/secret.csv", "path_not_allowed"),
    ("data=a/b/c", "path_not_allowed"),
    ("data=C:\\data.csv", "path_not_allowed"),
    ("data=folder/train.csv", "path_not_allowed"),
    ("data=nope", "unknown_dataset"),
    ("data=toy_topics upload=F0123ABCD", "two_data_sources"),
    ("upload=abc", "bad_upload"),
    ("data=toy_topics model=gpt2", "unknown_model"),
    ("data=toy_topics model=evil/remote-code", "unknown_model"),
    ("data=toy_topics model=distilbert", "hub_offline"),
    ("data=toy_topics epochs=-1", "out_of_range"),
    ("data=toy_topics epochs=0", "out_of_range"),
    ("data=toy_topics epochs=100", "out_of_range"),
    ("data=toy_topics epochs=2.5", "not_a_whole_number"),
    ("data=toy_topics epochs=three", "not_a_number"),
    ("data=toy_topics lr=abc", "not_a_number"),
    ("data=toy_topics lr=1", "out_of_range"),
    ("data=toy_topics lr=1e-9", "out_of_range"),
    ("data=toy_topics lr=nan", "not_a_number"),
    ("data=toy_topics batch=1", "out_of_range"),
    ("data=toy_topics batch=1000", "out_of_range"),
    ("data=toy_topics per_class=1", "out_of_range"),
    ("data=toy_topics method=magic", "bad_method"),
    ("data=toy_topics check=maybe", "bad_flag"),
    ("data=toy_topics colour=red", "unknown_option"),
    ("data=toy_topics epochs=", "missing_value"),
    ("data=toy_topics epochs=2 epochs=3", "duplicate_option"),
    ("data=toy_topics stray", "missing_value"),
    ('data=toy_topics text="unclosed', "bad_quotes"),
    ("data=toy_topics text=<b>", "bad_column"),
]


@pytest.mark.parametrize("text,code", BAD)
def test_bad_requests_give_clear_messages(text, code):
    with pytest.raises(RequestError) as err:
        parse_request(text)
    assert err.value.code == code
    message = err.value.message
    assert len(message) > 25 and "Traceback" not in message
    assert "<" not in message.replace("&lt;", "")  # user text is escaped for Slack


def test_lr_message_says_what_to_type():
    with pytest.raises(RequestError) as err:
        parse_request("data=toy_topics lr=abc")
    assert err.value.message == "`lr=abc` is not a number: use something like `lr=5e-5`."


def test_typo_gets_a_suggestion():
    with pytest.raises(RequestError) as err:
        parse_request("data=toy_topics method=lorra")
    assert "Did you mean `lora`" in err.value.message


def test_from_dict_revalidates():
    data = parse_request("data=toy_topics").to_dict() | {"epochs": 99}
    with pytest.raises(RequestError):
        FinetuneRequest.from_dict(data)


def test_help_text_lists_samples_and_models():
    text = help_text()
    assert "toy_topics" in text and "`minilm`" in text and "method=full" in text


def test_train_config_carries_the_choices_and_the_resolved_file(tmp_path):
    req = parse_request("upload=F0123ABCD method=frozen epochs=4 per_class=8").resolved(tmp_path / "x.csv")
    config = req.train_config(str(tmp_path / "out"))
    assert (config.method, config.epochs, config.per_class, config.learning_rate) == \
        ("frozen", 4, 8, 1e-3)
    assert config.data_path == str(tmp_path / "x.csv") and config.hub_dataset is None


def test_a_sample_is_resolved_to_its_file_when_parsed(samples):
    assert parse_request("data=toy_topics").local_path == str(samples["toy_topics"])


def test_the_modal_builds_the_same_request_as_the_text(samples):
    parser = RequestParser(samples, hub_online=lambda: False)
    form = parser.from_form({"data": "toy_topics", "model": "minilm", "method": "lora", "epochs": "2", "lr": ""})
    assert form == parser.parse("data=toy_topics model=minilm method=lora epochs=2")


@pytest.mark.parametrize("fields,field", [
    ({"data": "toy_topics", "epochs": "0"}, "epochs"),
    ({"data": "toy_topics", "lr": "fast"}, "lr"),
    ({"data": "toy_topics", "method": "magic"}, "method"),
    ({"data": "nope"}, "data"),
    ({"data": "toy_topics", "model": "distilbert"}, "model"),
])
def test_a_modal_error_names_its_field(samples, fields, field):
    with pytest.raises(RequestError) as err:
        RequestParser(samples, hub_online=lambda: False).from_form(fields)
    assert err.value.field == field


def test_request_module_stays_light():
    """The bot imports the request module and training's plain parts: none may pull in torch & co."""
    code = ("import sys, bot.finetune_request, training.errors, training.checks\n"
            "heavy = [m for m in ('torch', 'transformers', 'datasets', 'sklearn', 'numpy')"
            " if m in sys.modules]\n"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# ----- task=chat --------------------------------------------------------------------------------------

@pytest.fixture
def chat_parser(tmp_path):
    (tmp_path / "support_chat.jsonl").write_text('{"messages": []}\n')
    (tmp_path / "toy_topics.csv").write_text("text,label\na,x\n")
    return RequestParser({"support_chat": tmp_path / "support_chat.jsonl", "toy_topics": tmp_path / "toy_topics.csv"},
                         hub_online=lambda: False)


def test_chat_defaults(chat_parser):
    req = chat_parser.parse("task=chat")
    assert (req.task, req.data, req.model, req.method, req.epochs, req.batch_size) == \
        ("chat", "support_chat", "smollm2", "lora", 1, 8)
    assert req.learning_rate == 2e-3 and req.train_config("/tmp/x").task == "chat"
    assert FinetuneRequest.from_dict(json.loads(json.dumps(req.to_dict()))) == req
    assert req.describe().startswith("chat · `support_chat`")


def test_chat_tiny_model_trains_whole_and_methods_are_checked(chat_parser):
    assert chat_parser.parse("task=chat model=tiny-llama").method == "full"
    assert chat_parser.parse("task=chat method=full").method == "full"
    assert chat_parser.parse("task=chat upload=F0123ABCD").data_kind == "upload"


@pytest.mark.parametrize("text, field, words", [
    ("task=chat method=frozen", "method", "`frozen` is not a known method"),
    ("task=chat model=minilm", "model", "models for `task=chat`"),
    ("task=chit", "task", "Did you mean `chat`"),
    ("task=chat text=body", "text", "is for classification"),
    ("task=chat per_class=10", "per_class", "is for classification"),
    ("task=chat data=owner/name", "data", "hub data set"),
    ("data=toy_topics model=smollm2", "model", "models for `task=classify`"),
])
def test_bad_chat_options_name_their_option(chat_parser, text, field, words):
    with pytest.raises(RequestError) as caught:
        chat_parser.parse(text)
    assert caught.value.field == field and words in caught.value.message


def test_classify_default_is_unchanged(chat_parser):
    req = chat_parser.parse("data=toy_topics")
    assert (req.task, req.model, req.method) == ("classify", "minilm", "full")
    assert not req.describe().startswith("chat")

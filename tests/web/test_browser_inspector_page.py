"""The inspector page in Chromium: results replaced, not stacked; no empty parts for a non-RoPE config;
a bundled model's JSON in the text box; the file input in the Tab order; the "read as" field; web and CLI
agree."""

from __future__ import annotations

import json
import subprocess
import sys

LLAMA = {
    "hidden_size": 4096,
    "num_attention_heads": 32,
    "rope_theta": 500000.0,
    "max_position_embeddings": 8192,
}


def _inspect_text(page, text: str) -> None:
    page.fill("#config-text", text)
    page.click("#inspect-button")


def test_a_new_error_replaces_the_previous_result(page):
    page.goto(page.lab + "/inspector")
    page.click("#bundled button >> nth=0")
    page.wait_for_selector("#result:not([hidden])")
    _inspect_text(page, "garbage")
    page.wait_for_selector("#inspect-error:not([hidden])")
    assert page.is_hidden("#result")


def test_a_config_that_is_not_rope_shows_no_empty_table_or_plot_area(page):
    page.goto(page.lab + "/inspector")
    _inspect_text(page, json.dumps({"model_type": "bloom", "hidden_size": 64, "n_head": 4}))
    page.wait_for_selector("#result:not([hidden])")
    assert "not RoPE" in page.text_content("#result-message")
    assert not page.locator("#result table.figures").is_visible()  # no empty key-figures table
    assert not page.locator("#inspect-plot").is_visible() and not page.locator("#scale-plot").is_visible()


def test_a_bundled_model_puts_its_json_in_the_text_box(page):
    page.goto(page.lab + "/inspector")
    page.click("#bundled button >> nth=0")
    page.wait_for_selector("#result:not([hidden])")
    config = json.loads(page.input_value("#config-text"))
    assert isinstance(config, dict) and config


def test_choose_a_file_is_reached_by_tab(page):
    page.goto(page.lab + "/inspector")
    page.focus("#config-text")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "config-file"


def test_read_as_model_type_is_sent(page):
    page.goto(page.lab + "/inspector")
    page.fill("#as-type", "no-such-type")
    _inspect_text(page, json.dumps(LLAMA))
    page.wait_for_selector("#inspect-error:not([hidden])")
    assert "no-such-type" in page.text_content("#inspect-error")
    assert all("400" in e for e in page.watch.errors)  # the refused request, as the browser logs it
    page.watch.errors.clear()


def test_web_and_cli_agree_on_a_hidden_size_not_divisible_by_the_heads(client, tmp_path):
    config = LLAMA | {"hidden_size": 4095}
    web = client.post("/api/inspect", json={"config": config}).json()["error"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    cli = subprocess.run(
        [sys.executable, "-m", "posenc", "inspect", str(path)], capture_output=True, text=True
    ).stderr
    for said in (web, cli):
        assert "hidden_size 4095 is not divisible by the head count" in said, said


def test_settings_round_trip_through_the_url_a_reload_and_back(page):
    page.goto(page.lab + "/inspector")
    first, second = page.locator("#bundled button").nth(0), page.locator("#bundled button").nth(1)
    names = first.get_attribute("data-name"), second.get_attribute("data-name")
    page.fill("#target-length", "32768")
    first.click()
    page.wait_for_function(
        "([n]) => document.querySelector('#result-title').textContent.startsWith(n)", arg=[names[0]]
    )
    second.click()
    page.wait_for_function(
        "([n]) => document.querySelector('#result-title').textContent.startsWith(n)", arg=[names[1]]
    )
    assert f"model={names[1]}" in page.url and "target=32768" in page.url
    page.reload()  # the same report again, at the same target length
    page.wait_for_function(
        "([n]) => document.querySelector('#result-title').textContent.startsWith(n)", arg=[names[1]]
    )
    assert page.input_value("#target-length") == "32768"
    assert "32,768" in page.inner_text("#terminal")
    page.go_back()  # Back: the bundled model before
    page.wait_for_function(
        "([n]) => document.querySelector('#result-title').textContent.startsWith(n)", arg=[names[0]]
    )
    # a pasted config is not put in the URL, and the URL no longer names a bundled model
    _inspect_text(page, json.dumps(LLAMA))
    page.wait_for_function("() => !document.querySelector('#result').hidden")
    page.wait_for_function("() => !new URLSearchParams(location.search).get('model')")
    assert "hidden_size" not in page.url

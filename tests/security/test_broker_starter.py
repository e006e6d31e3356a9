"""The test broker starter runs the project's secure config open, or as it is."""

from __future__ import annotations

from pathlib import Path

from tests.support.mosquitto import PROJECT_CONF, TlsFiles, build_config, select_tls_listeners

SOURCE = PROJECT_CONF.read_text()


def test_open_mode_drops_authentication_and_allows_anonymous(tmp_path: Path) -> None:
    text = build_config(select_tls_listeners(SOURCE, None), {1883: 41000}, tmp_path)
    lines = text.splitlines()
    assert "allow_anonymous true" in lines and "allow_anonymous false" not in lines
    assert not any(line.startswith(("plugin", "password_file", "acl_file")) for line in lines)
    assert [line for line in lines if line.startswith("listener")] == ["listener 41000 127.0.0.1"]
    assert "set_tcp_nodelay true" in lines and "autosave_on_changes false" in lines


def test_secure_mode_keeps_the_plugin_and_points_tls_at_the_given_files(tmp_path: Path) -> None:
    tls = TlsFiles(tmp_path / "ca.crt", tmp_path / "s.crt", tmp_path / "s.key")
    dynsec = tmp_path / "dynsec.json"
    text = build_config(select_tls_listeners(SOURCE, tls), {1883: 41000, 8883: 41001}, tmp_path,
                        secure=True, dynsec_file=dynsec)
    lines = text.splitlines()
    assert "allow_anonymous false" in lines
    assert f"plugin_opt_config_file {dynsec}" in lines
    assert any(line.startswith("plugin /") for line in lines)
    tls_block = lines[lines.index("listener 41001 127.0.0.1"):]
    for line in (f"cafile {tls.cafile}", f"certfile {tls.certfile}", f"keyfile {tls.keyfile}"):
        assert line in tls_block

"""`ssl_ca=certifi` in a MySQL URL: PyMySQL verifies the server against certifi's CA bundle."""

from __future__ import annotations

import ssl
from pathlib import Path

import certifi
from sqlalchemy.engine import make_url

from shared.db import create_db_engine, resolve_ca_bundle

URL = (
    "mysql+pymysql://u:p@server.mysql.database.azure.com:3306/energy?charset=utf8mb4&ssl_ca=certifi"
)
# Roots Azure Database for MySQL flexible server certificates chain to (Azure's TLS docs).
AZURE_MYSQL_ROOTS = ("DigiCert Global Root G2", "Microsoft RSA Root Certificate Authority 2017")


def test_the_placeholder_becomes_an_existing_bundle_with_azures_roots() -> None:
    resolved = resolve_ca_bundle(make_url(URL))
    path = Path(resolved.query["ssl_ca"])  # type: ignore[arg-type]
    assert path == Path(certifi.where()) and path.is_file()
    bundle = path.read_text()
    for root in AZURE_MYSQL_ROOTS:
        assert root in bundle, root
    ssl.create_default_context(cafile=str(path))  # a bundle OpenSSL loads


def test_the_engine_hands_pymysql_the_bundle_and_other_urls_are_untouched() -> None:
    engine = create_db_engine(URL, pool_size=1)
    try:
        _, kwargs = engine.dialect.create_connect_args(engine.url)
        assert kwargs["ssl"] == {"ca": certifi.where()}
    finally:
        engine.dispose()
    plain = make_url("mysql+pymysql://u:p@h/db?ssl_ca=/etc/ssl/certs/ca.pem")
    assert resolve_ca_bundle(plain) is plain

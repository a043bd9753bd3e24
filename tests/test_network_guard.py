"""Tests reach nothing beyond loopback: a connection elsewhere fails at once."""

import pytest
import requests
from pytest_socket import SocketConnectBlockedError


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_outside_addresses_are_refused():
    with pytest.raises((SocketConnectBlockedError, requests.exceptions.ConnectionError)):
        requests.get("http://93.184.216.34/", timeout=2)

"""Flask's JSON (request bodies read by `get_json`, answers made by `jsonify`) through orjson
(`core.json_text`: why).

The answers are the text Flask's own provider writes in its compact form (no spaces, keys in
their order, a newline at the end, dates, decimals and dataclasses converted by Flask's own
`default`), but for non-ASCII characters, sent as UTF-8 rather than escaped: JSON's own
encoding (RFC 8259), and fewer bytes for a French customer's name. A call asking for
`json.dumps`' own options (an indent; the templates' `tojson`, which sorts keys) gets Flask's
provider itself.
"""

from __future__ import annotations

from typing import Any, cast

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider

from core.json_text import encoded


class OrjsonProvider(DefaultJSONProvider):
    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs:
            return super().dumps(obj, **kwargs)
        return self._encoded(obj).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if kwargs:
            return super().loads(s, **kwargs)
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        if (self.compact is None and self._app.debug) or self.compact is False:
            return cast(Response, super().response(*args, **kwargs))  # indented, to be read
        body = self._encoded(self._prepare_response_obj(args, kwargs)) + b"\n"
        return Response(body, mimetype=self.mimetype)  # the app keeps Flask's response_class

    def _encoded(self, obj: Any) -> bytes:
        return encoded(obj, self.default)

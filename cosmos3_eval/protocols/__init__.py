"""Wire codecs shared by the network adapters (:mod:`cosmos3_eval.models`) and ``serve``.

One module per protocol holds both directions of its codec (the adapter encodes a request and
decodes the reply, the server decodes the request and encodes the reply), so the two sides
cannot drift apart. Protocol modules import only :mod:`cosmos3_eval.api` and the errors.
"""

from cosmos3_eval.errors import Cosmos3EvalError


class WireFormatError(Cosmos3EvalError):
    """A message that does not follow its protocol (a server answers it with HTTP 400)."""

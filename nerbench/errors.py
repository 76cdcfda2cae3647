"""The one exception type the command line turns into an `Error: ...` line."""


class NerbenchError(Exception):
    """A user-facing error: the message is one line that names the file, document or task.

    The CLI prints it as `Error: <message>` and exits with status 1, without a traceback.
    """

"""The worker side of the sandbox: standalone scripts (standard library + numpy), never
importing ``gradcheck``. The zygote runs ``worker.py``, which loads the other modules here by
path; the parent imports ``protocol``, ``guard`` and ``landlock`` as ordinary modules."""

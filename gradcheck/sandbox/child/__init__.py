"""The worker side of the sandbox: standalone scripts (standard library + numpy) that never
import ``gradcheck``. The zygote runs ``worker.py``, which imports the others as a package that
exists only while they load; the parent imports ``protocol``, ``guard`` and ``landlock`` here as
ordinary modules of ``gradcheck.sandbox.child``."""

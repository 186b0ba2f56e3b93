"""The OpenCL backend: lowering, views, memory, barriers, the kernel printer and the pyopencl runtime."""

from lift.ocl.device import list_devices, select_device
from lift.ocl.kernel import Kernel, Profile, compile_program
from lift.ocl.lower import default_mapping, lower

__all__ = ["Kernel", "Profile", "compile_program", "default_mapping", "list_devices", "lower", "select_device"]

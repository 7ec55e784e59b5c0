/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nvfio_refusal.h - the shape of the kernel lines that explain a refusal.
 *
 * When nvfio refuses something for a privilege, resource or topology reason
 * it returns mainline's errno and logs one rate-limited warning:
 *
 *   <source>: <operation> refused for <comm>[<pid>]: <cause>; <fix>
 *
 * <source> is the module (and the object: group, device) the line comes
 * from, <comm>[<pid>] the process that asked (its thread group id, as in
 * ps), <cause> what stands in the way with the numbers and names needed to
 * find it, <fix> what to change.  docs/refusals.md lists every line: it is
 * a stable interface, change both together.
 */
#ifndef NVFIO_REFUSAL_H
#define NVFIO_REFUSAL_H

#include <linux/sched.h>

/* "<comm>[<pid>]" of the process a refusal answers. */
#define NVFIO_WHO_FMT "%s[%d]"
#define NVFIO_WHO_ARGS current->comm, task_tgid_nr(current)

#endif

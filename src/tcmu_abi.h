/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The kernel's TCMU ABI, from linux-libc-dev's <linux/target_core_user.h>.
 *
 * That header includes <linux/uio.h>, whose struct iovec collides with the C
 * library's <sys/uio.h>. Both describe the same layout, so take libc's and
 * keep the kernel's from being defined. Include this instead of the kernel
 * header directly.
 */
#ifndef TCMUD_TCMU_ABI_H
#define TCMUD_TCMU_ABI_H

#include <sys/uio.h>
#ifndef __LINUX_UIO_H
#define __LINUX_UIO_H
#endif
#include <linux/target_core_user.h>

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pbuf_bar, the generic BAR driver: what module init needs of it.
 * bar_driver.c includes only this and <linux/p2pbuf.h>.
 */
#ifndef _P2PBUF_BAR_DRIVER_H
#define _P2PBUF_BAR_DRIVER_H

int p2pbuf_bar_driver_register(void);
void p2pbuf_bar_driver_unregister(void);

#endif /* _P2PBUF_BAR_DRIVER_H */

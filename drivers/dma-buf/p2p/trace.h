/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM p2pbuf

#if !defined(_P2PBUF_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _P2PBUF_TRACE_H

#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/fs.h>
#include <linux/tracepoint.h>

TRACE_EVENT(p2pbuf_attach,
	    TP_PROTO(struct dma_buf *dmabuf, struct device *dev, int map_type,
		     int reason, int ret),
	    TP_ARGS(dmabuf, dev, map_type, reason, ret),
	    TP_STRUCT__entry(__field(unsigned long, ino)
			     __array(char, dev, 32)
			     __field(int, map_type)
			     __field(int, reason)
			     __field(int, ret)),
	    TP_fast_assign(__entry->ino = file_inode(dmabuf->file)->i_ino;
			   strscpy(__entry->dev, dev_name(dev),
				   sizeof(__entry->dev));
			   __entry->map_type = map_type;
			   __entry->reason = reason;
			   __entry->ret = ret;),
	    TP_printk("buf=%lu dev=%s map_type=%d reason=%d ret=%d",
		      __entry->ino, __entry->dev, __entry->map_type,
		      __entry->reason, __entry->ret)
);

TRACE_EVENT(p2pbuf_map,
	    TP_PROTO(struct dma_buf *dmabuf, struct device *dev, int map_type,
		     int dir, unsigned int nents, u64 first),
	    TP_ARGS(dmabuf, dev, map_type, dir, nents, first),
	    TP_STRUCT__entry(__field(unsigned long, ino)
			     __array(char, dev, 32)
			     __field(int, map_type)
			     __field(int, dir)
			     __field(unsigned int, nents)
			     __field(u64, first)),
	    TP_fast_assign(__entry->ino = file_inode(dmabuf->file)->i_ino;
			   strscpy(__entry->dev, dev_name(dev),
				   sizeof(__entry->dev));
			   __entry->map_type = map_type;
			   __entry->dir = dir;
			   __entry->nents = nents;
			   __entry->first = first;),
	    TP_printk("buf=%lu dev=%s map_type=%d dir=%d nents=%u first=%#llx",
		      __entry->ino, __entry->dev, __entry->map_type,
		      __entry->dir, __entry->nents, __entry->first)
);

TRACE_EVENT(p2pbuf_unmap,
	    TP_PROTO(struct dma_buf *dmabuf, struct device *dev,
		     unsigned int nents),
	    TP_ARGS(dmabuf, dev, nents),
	    TP_STRUCT__entry(__field(unsigned long, ino)
			     __array(char, dev, 32)
			     __field(unsigned int, nents)),
	    TP_fast_assign(__entry->ino = file_inode(dmabuf->file)->i_ino;
			   strscpy(__entry->dev, dev_name(dev),
				   sizeof(__entry->dev));
			   __entry->nents = nents;),
	    TP_printk("buf=%lu dev=%s nents=%u", __entry->ino, __entry->dev,
		      __entry->nents)
);

TRACE_EVENT(p2pbuf_revoke,
	    TP_PROTO(struct dma_buf *dmabuf, int maps, int pins),
	    TP_ARGS(dmabuf, maps, pins),
	    TP_STRUCT__entry(__field(unsigned long, ino)
			     __field(int, maps)
			     __field(int, pins)),
	    TP_fast_assign(__entry->ino = file_inode(dmabuf->file)->i_ino;
			   __entry->maps = maps;
			   __entry->pins = pins;),
	    TP_printk("buf=%lu maps=%d pins=%d", __entry->ino,
		      __entry->maps, __entry->pins)
);

#endif /* _P2PBUF_TRACE_H */

/* out-of-tree builds add -I$(src); see the Makefile */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>

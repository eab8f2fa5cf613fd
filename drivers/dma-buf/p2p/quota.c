// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf quota: what one user may hold at once through /dev/p2pbuf, and the
 * parameters user_max_pct and user_max_buffers that bound it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/list.h>
#include <linux/math64.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>

#include "p2pbuf_internal.h"

/**
 * DOC: quota
 *
 * Each user (the real uid of the process that allocates, as for resource
 * limits) may hold at once user_max_pct percent of each provider's size and
 * user_max_buffers buffers on all providers together. P2PBUF_IOC_ALLOC
 * charges the buffer before it allocates anything and fails with -EDQUOT
 * when the charge would exceed either limit. The charge belongs to the
 * buffer, not to the fd: it is given back when the dma-buf is released,
 * wherever its fds went meanwhile. Tasks with CAP_SYS_RESOURCE are charged
 * but never refused. In-kernel callers of p2pbuf_chunk_alloc() are not
 * charged.
 *
 * The per-user state lives in an xarray keyed by uid and goes away with the
 * user's last buffer, except for the last P2PBUF_QUOTA_IDLE_MAX users to
 * give their last buffer back: their record, with the one provider they
 * used last, is kept for their next buffer, so that a user who allocates
 * and frees in turn allocates no bookkeeping each time. Module unload frees
 * those. Lowering a limit refuses new buffers only; it takes nothing away.
 */

#define P2PBUF_USER_MAX_BUFFERS_LIMIT	SZ_1M

/* one user's bytes on one provider */
struct p2pbuf_quota_use {
	struct list_head node;
	u32 provider_id;
	u64 bytes;
};

/*
 * one user: buffers on all providers, and a p2pbuf_quota_use per provider;
 * idle (kept for the next buffer) while @buffers is 0
 */
struct p2pbuf_quota_user {
	unsigned long buffers;
	struct list_head uses;
};

/* idle users kept, at most; see DOC: quota */
#define P2PBUF_QUOTA_IDLE_MAX	16

static unsigned int p2pbuf_user_max_pct = 50;
static unsigned int p2pbuf_user_max_buffers = 1024;

/* protects p2pbuf_quota_users, everything it points to, and the idle count */
static DEFINE_MUTEX(p2pbuf_quota_lock);
static DEFINE_XARRAY(p2pbuf_quota_users);
static unsigned int p2pbuf_quota_idle;

static int p2pbuf_quota_param_set(const char *val, const struct kernel_param *kp,
				  unsigned int max)
{
	unsigned int n;
	int ret;

	ret = p2pbuf_param_may_set();
	if (ret)
		return ret;
	ret = kstrtouint(val, 0, &n);
	if (ret)
		return ret;
	if (n > max)
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, n);
	return 0;
}

static int p2pbuf_pct_set(const char *val, const struct kernel_param *kp)
{
	return p2pbuf_quota_param_set(val, kp, 100);
}

static int p2pbuf_buffers_set(const char *val, const struct kernel_param *kp)
{
	return p2pbuf_quota_param_set(val, kp, P2PBUF_USER_MAX_BUFFERS_LIMIT);
}

static const struct kernel_param_ops p2pbuf_pct_ops = {
	.set = p2pbuf_pct_set,
	.get = param_get_uint,
};

static const struct kernel_param_ops p2pbuf_buffers_ops = {
	.set = p2pbuf_buffers_set,
	.get = param_get_uint,
};

module_param_cb(user_max_pct, &p2pbuf_pct_ops, &p2pbuf_user_max_pct, 0644);
MODULE_PARM_DESC(user_max_pct,
		 "Percent of each provider one uid may hold, 0-100 (default: 50)");
module_param_cb(user_max_buffers, &p2pbuf_buffers_ops,
		&p2pbuf_user_max_buffers, 0644);
MODULE_PARM_DESC(user_max_buffers,
		 "Buffers one uid may hold on all providers, 0-1048576 (default: 1024)");

static struct p2pbuf_quota_use *
p2pbuf_quota_find_use(struct p2pbuf_quota_user *user, u32 provider_id)
{
	struct p2pbuf_quota_use *use;

	list_for_each_entry(use, &user->uses, node)
		if (use->provider_id == provider_id)
			return use;
	return NULL;
}

/* would one more buffer of @bytes put @user over a limit? */
static bool p2pbuf_quota_over(struct p2pbuf_quota_user *user,
			      struct p2pbuf_quota_use *use, u64 provider_size,
			      u64 bytes)
{
	u64 held = use ? use->bytes : 0, total;
	unsigned long buffers = user ? user->buffers : 0;

	if (buffers >= READ_ONCE(p2pbuf_user_max_buffers))
		return true;
	if (check_add_overflow(held, bytes, &total))
		return true;
	return total > mul_u64_u32_div(provider_size,
				       READ_ONCE(p2pbuf_user_max_pct), 100);
}

/* free the per-provider records of @user, which holds no byte, but @keep */
static void p2pbuf_quota_drop_uses(struct p2pbuf_quota_user *user,
				   struct p2pbuf_quota_use *keep)
{
	struct p2pbuf_quota_use *use, *tmp;

	list_for_each_entry_safe(use, tmp, &user->uses, node) {
		if (use == keep)
			continue;
		WARN_ON(use->bytes);
		list_del(&use->node);
		kfree(use);
	}
}

/* drop @user, which holds no buffer, from the xarray and free it */
static void p2pbuf_quota_user_free(u32 uid, struct p2pbuf_quota_user *user)
{
	WARN_ON(user->buffers);
	p2pbuf_quota_drop_uses(user, NULL);
	xa_erase(&p2pbuf_quota_users, uid);
	kfree(user);
}

/*
 * @user gave its last buffer back, @last on the provider it used last: keep
 * it, with @last only, for its next buffer while few users are kept, else
 * free it.
 */
static void p2pbuf_quota_user_idle(u32 uid, struct p2pbuf_quota_user *user,
				   struct p2pbuf_quota_use *last)
{
	if (p2pbuf_quota_idle >= P2PBUF_QUOTA_IDLE_MAX) {
		p2pbuf_quota_user_free(uid, user);
		return;
	}
	p2pbuf_quota_idle++;
	p2pbuf_quota_drop_uses(user, last);
}

/**
 * p2pbuf_quota_charge - charge a new buffer to the calling task's user
 * @charge: output; the caller keeps it until p2pbuf_quota_uncharge()
 * @provider_id: the provider the buffer goes on
 * @provider_size: the provider's size, which user_max_pct is a percentage of
 * @bytes: the buffer's size, not 0
 *
 * Charges the real uid of current. Tasks with CAP_SYS_RESOURCE are charged
 * but not limited, except that no user's bytes on a provider may exceed
 * what the counter holds.
 *
 * Context: process context, may sleep.
 *
 * Return: 0, -EDQUOT when the buffer would exceed user_max_pct of the
 * provider or user_max_buffers, -ENOMEM. On error nothing is charged.
 */
int p2pbuf_quota_charge(struct p2pbuf_charge *charge, u32 provider_id,
			u64 provider_size, u64 bytes)
{
	u32 uid = from_kuid(&init_user_ns, current_uid());
	struct p2pbuf_quota_use *use, *new_use = NULL;
	struct p2pbuf_quota_user *user, *new_user = NULL;
	u64 sum;
	int ret;

	mutex_lock(&p2pbuf_quota_lock);
	user = xa_load(&p2pbuf_quota_users, uid);
	use = user ? p2pbuf_quota_find_use(user, provider_id) : NULL;
	/* a charge the counter cannot hold is refused to everyone */
	if (check_add_overflow(use ? use->bytes : 0, bytes, &sum)) {
		ret = -EDQUOT;
		goto out_unlock;
	}
	/* capable() only when it matters: it marks the task as privileged */
	if (p2pbuf_quota_over(user, use, provider_size, bytes) &&
	    !capable(CAP_SYS_RESOURCE)) {
		ret = -EDQUOT;
		goto out_unlock;
	}

	if (!user) {
		new_user = kzalloc(sizeof(*new_user), GFP_KERNEL);
		if (!new_user) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		INIT_LIST_HEAD(&new_user->uses);
		ret = xa_err(xa_store(&p2pbuf_quota_users, uid, new_user,
				      GFP_KERNEL));
		if (ret)
			goto err_free_user;
		user = new_user;
	}
	if (!use) {
		new_use = kzalloc(sizeof(*new_use), GFP_KERNEL);
		if (!new_use) {
			ret = -ENOMEM;
			goto err_put_user;
		}
		new_use->provider_id = provider_id;
		list_add(&new_use->node, &user->uses);
		use = new_use;
	}
	if (!user->buffers && user != new_user)
		p2pbuf_quota_idle--;	/* an idle user's next buffer */
	use->bytes += bytes;
	user->buffers++;
	charge->uid = uid;
	charge->provider_id = provider_id;
	charge->bytes = bytes;
	mutex_unlock(&p2pbuf_quota_lock);
	return 0;

err_put_user:
	/* a user found in the xarray stays as it was */
	if (user == new_user)
		xa_erase(&p2pbuf_quota_users, uid);
err_free_user:
	kfree(new_user);
out_unlock:
	mutex_unlock(&p2pbuf_quota_lock);
	return ret;
}

/**
 * p2pbuf_quota_uncharge - give a buffer's charge back to its user
 * @charge: from p2pbuf_quota_charge(), or zeroed (nothing to give back);
 *	zeroed on return, so a second call does nothing
 *
 * Context: process context, may sleep.
 */
void p2pbuf_quota_uncharge(struct p2pbuf_charge *charge)
{
	struct p2pbuf_quota_user *user;
	struct p2pbuf_quota_use *use;

	if (!charge->bytes)
		return;
	mutex_lock(&p2pbuf_quota_lock);
	user = xa_load(&p2pbuf_quota_users, charge->uid);
	use = user ? p2pbuf_quota_find_use(user, charge->provider_id) : NULL;
	if (WARN_ON(!use || use->bytes < charge->bytes || !user->buffers))
		goto out_unlock;
	use->bytes -= charge->bytes;
	user->buffers--;
	if (!user->buffers) {
		p2pbuf_quota_user_idle(charge->uid, user, use);
	} else if (!use->bytes) {
		list_del(&use->node);
		kfree(use);
	}
out_unlock:
	mutex_unlock(&p2pbuf_quota_lock);
	memset(charge, 0, sizeof(*charge));
}

/**
 * p2pbuf_quota_exit - free the idle users' records
 *
 * Context: module unload, once every buffer is gone (each holds a
 * reference to the module).
 */
void p2pbuf_quota_exit(void)
{
	struct p2pbuf_quota_user *user;
	unsigned long uid;

	mutex_lock(&p2pbuf_quota_lock);
	xa_for_each(&p2pbuf_quota_users, uid, user)
		p2pbuf_quota_user_free(uid, user);
	p2pbuf_quota_idle = 0;
	mutex_unlock(&p2pbuf_quota_lock);
}

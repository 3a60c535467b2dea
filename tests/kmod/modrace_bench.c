// SPDX-License-Identifier: GPL-2.0-only
/*
 * modrace_bench - triggers for measuring tracing overhead (tests/bench/run, docs/performance.md).
 *
 * Writing N to /sys/kernel/debug/modrace_bench/refcount runs N try_module_get/module_put pairs
 * on this module; writing N to .../locks runs N mutex and N spinlock acquire/release pairs.
 * Reading either file gives the last run: "pairs=N ns=T ns_per_pair=X". The timing is taken in
 * the kernel around the loop only, so probe overhead is all that separates traced from untraced.
 * The module parameter `rate` (pairs per second, writable; 0 = flat out) paces the refcount
 * loop: the throughput sweep offers the tracer known event rates with it.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

static DEFINE_MUTEX(bench_mutex);
static DEFINE_SPINLOCK(bench_spinlock);
static struct dentry *bench_dir;

struct bench_result {
	u64 pairs;
	u64 ns;
};
static struct bench_result refcount_result, locks_result;

static unsigned int rate;
module_param(rate, uint, 0644);
MODULE_PARM_DESC(rate, "refcount pairs per second per writer, 0 = flat out");

/*
 * Every 256 pairs: ahead of the schedule that `rate` sets, sleep until it catches up (the
 * sleep also leaves the CPU to the tracer's consumer, as a real workload would); behind it, go on.
 */
static void bench_pace(u64 start, u64 done)
{
	u64 due, now;

	if (!rate)
		return;
	due = start + div64_u64(done * NSEC_PER_SEC, rate);
	now = ktime_get_ns();
	if (due > now + 20 * NSEC_PER_USEC)
		usleep_range(div64_u64(due - now, NSEC_PER_USEC),
			     div64_u64(due - now, NSEC_PER_USEC) + 50);
}

/* noinline: keeps the caller ip of every get/put at one distinct site. */
static noinline void bench_refcount(u64 n)
{
	u64 i, start = ktime_get_ns();

	for (i = 0; i < n; i++) {
		if (try_module_get(THIS_MODULE))
			module_put(THIS_MODULE);
		if ((i & 255) == 255) {
			bench_pace(start, i + 1);
			cond_resched();
		}
	}
}

static noinline void bench_locks(u64 n)
{
	u64 i;

	for (i = 0; i < n; i++) {
		mutex_lock(&bench_mutex);
		mutex_unlock(&bench_mutex);
		spin_lock(&bench_spinlock);
		spin_unlock(&bench_spinlock);
		if ((i & 1023) == 1023)
			cond_resched();
	}
}

static ssize_t bench_write(struct file *file, const char __user *buf, size_t len, loff_t *ppos)
{
	struct bench_result *res = file->f_inode->i_private;
	u64 n, start;
	int err;

	err = kstrtou64_from_user(buf, len, 10, &n);
	if (err)
		return err;
	if (n == 0 || n > 1000000000ULL)
		return -EINVAL;
	start = ktime_get_ns();
	if (res == &refcount_result)
		bench_refcount(n);
	else
		bench_locks(n);
	res->ns = ktime_get_ns() - start;
	res->pairs = n;
	return len;
}

static ssize_t bench_read(struct file *file, char __user *buf, size_t len, loff_t *ppos)
{
	struct bench_result *res = file->f_inode->i_private;
	char out[96];
	int n;

	n = scnprintf(out, sizeof(out), "pairs=%llu ns=%llu ns_per_pair=%llu\n", res->pairs,
		      res->ns, res->pairs ? div64_u64(res->ns, res->pairs) : 0);
	return simple_read_from_buffer(buf, len, ppos, out, n);
}

static const struct file_operations bench_fops = {
	.owner = THIS_MODULE,
	.read = bench_read,
	.write = bench_write,
	.llseek = default_llseek,
};

static int __init bench_init(void)
{
	bench_dir = debugfs_create_dir("modrace_bench", NULL);
	debugfs_create_file("refcount", 0600, bench_dir, &refcount_result, &bench_fops);
	debugfs_create_file("locks", 0600, bench_dir, &locks_result, &bench_fops);
	return 0;
}

static void __exit bench_exit(void)
{
	debugfs_remove_recursive(bench_dir);
}

module_init(bench_init);
module_exit(bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("modrace benchmark triggers: refcount and lock pairs in a loop");

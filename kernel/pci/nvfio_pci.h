/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nvfio_pci.h - private definitions of the nvfio PCI bus driver.
 *
 * One struct nvfio_pci_device exists per bound PCI function.  It is
 * allocated at probe and freed at remove; the fields marked "open state"
 * are (re)initialized by open_device and torn down by close_device, which
 * the core serializes, and every other callback only runs between the two.
 *
 * Locks, outermost first (a lock may only be taken while holding locks
 * that appear above it in this list):
 *
 *   devset lock  (mutex, one per reset domain, pci_devset.c) open/
 *                         close_device and hot resets of the domain's
 *                         devices; its member list, devset_open and
 *                         needs_reset
 *   igate        (mutex)  interrupt configuration: irq_type, ctx[],
 *                         num_ctx, err_trigger, req_trigger.  irq_type,
 *                         ctx and num_ctx are written with igate and
 *                         irqlock held, so either lock suffices to read;
 *                         the MSI flags hook (pci_config.c, cfg_lock
 *                         only) takes a READ_ONCE snapshot of irq_type:
 *                         a SET_IRQS racing with the user's own config
 *                         write may make it stale, harmlessly
 *   cfg_lock     (mutex)  the virtual config space: everything in *cfg
 *   memory_lock  (rwsem)  memory decode: mem_enabled and the hardware
 *                         PCI_COMMAND_MEMORY bit (which the VGA arbiter
 *                         also flips, without it, on a VGA device:
 *                         pci_vga.c).  Held for read around
 *                         every BAR access and BAR fault, for write while
 *                         decode may change (command writes, resets).
 *                         Whoever turns decode off or resets takes it with
 *                         nvfio_pci_zap_and_down_write_memory_lock(), which
 *                         also revokes user BAR mmaps (they fault back in,
 *                         under it for read, once decode is usable).
 *   bar_lock     (mutex)  barmap[] and the regions requested for them;
 *                         a set barmap[] entry is read without it
 *                         (nvfio_pci_barmap())
 *   ioeventfds_lock (mutex) the ioeventfd list (pci_ioeventfd.c; taken
 *                         with no other lock of the device held, its
 *                         write work takes memory_lock for read)
 *   vf_token_lock (mutex, a PF's, leaf) its VF token and open VF count;
 *                         also taken by its VFs (pci_sriov.c)
 *   irqlock      (spinlock, irq-safe) INTx: intx_masked, the INTx trigger
 *                         (ctx[0].trigger while irq_type is INTx) and the
 *                         hardware DisINTx bit/INTx line state
 *
 * Fields without a lock are either constant from probe to remove or
 * written only by open_device/close_device.
 */
#ifndef NVFIO_PCI_H
#define NVFIO_PCI_H

#include <linux/eventfd.h>
#include <linux/interrupt.h>
#include <linux/irqbypass.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uuid.h>

#include "nvfio.h"

#define NVFIO_PCI_DRIVER_NAME "vfio-pci"

/*
 * Region offsets on the device fd: the region index lives in the bits
 * above bit 40, exactly as mainline's clients expect.
 */
#define NVFIO_PCI_OFFSET_SHIFT 40
#define NVFIO_PCI_OFFSET_TO_INDEX(off) ((u64)(off) >> NVFIO_PCI_OFFSET_SHIFT)
#define NVFIO_PCI_INDEX_TO_OFFSET(idx) ((u64)(idx) << NVFIO_PCI_OFFSET_SHIFT)
#define NVFIO_PCI_OFFSET_MASK (BIT_ULL(NVFIO_PCI_OFFSET_SHIFT) - 1)

/* irq_type when no interrupt index is enabled */
#define NVFIO_PCI_IRQ_NONE VFIO_PCI_NUM_IRQS

/*
 * Size of the VGA region: offsets in it are legacy addresses, up to the
 * end of the memory window 0xa0000-0xbffff (pci_vga.c)
 */
#define NVFIO_PCI_VGA_REGION_SIZE 0xc0000

/* Size reported for a shadowed (BIOS-copied) option ROM */
#define NVFIO_PCI_SHADOW_ROM_SIZE 0x20000

/* One interrupt vector handed to userspace (INTx uses ctx[0]). */
struct nvfio_pci_irq_ctx {
	struct eventfd_ctx *trigger; /* NULL: vector not wired */
	char *name; /* for /proc/interrupts */
	int irq; /* Linux irq, MSI/MSI-X only */
	struct nvfio_pci_device *vdev; /* back pointer for the handlers */
	/* MSI/MSI-X: registered (token = trigger) while the vector is wired */
	struct irq_bypass_producer producer;
	/* interrupts forwarded; the handler's only (pci_visible.c) */
	unsigned long count;
};

/* A page reserved after a sub-page BAR so that it can be mmapped. */
struct nvfio_pci_dummy_res {
	struct resource res;
	struct list_head next;
};

struct nvfio_pci_config; /* pci_config.c */
struct nvfio_pci_devset; /* pci_devset.c */
struct nvfio_pci_virqfd; /* pci_intrs.c */
void nvfio_pci_intx_init(struct nvfio_pci_device *vdev);

struct nvfio_pci_device {
	struct nvfio_device vdev; /* must stay first: container_of */
	struct pci_dev *pdev;

	/* --- open state, written by open/close_device only --- */
	struct pci_saved_state *saved_state; /* state before the user */
	bool reset_works; /* function reset worked at open */
	bool pci_2_3; /* INTx can be masked with DisINTx */
	bool nointx; /* INTx hidden: its masking is broken (pci_quirks.c) */
	bool has_dyn_msix; /* MSI-X vectors can be added while enabled */
	u8 msix_bar; /* BAR holding the MSI-X table, 0xff: none */
	u32 msix_offset; /* MSI-X table offset in msix_bar */
	u32 msix_size; /* MSI-X table size in bytes */
	bool bar_mmap_ok[PCI_STD_NUM_BARS];
	struct list_head dummy_res; /* nvfio_pci_dummy_res.next */
	/* --- constant from probe to remove --- */
	bool disable_idle_d3; /* module parameter at probe: never idle in D3 */
	bool has_vga; /* VGA class, not disable_vga: VGA region (pci_vga.c) */
	atomic_t reset_count; /* resets since probe (pci_visible.c) */
	/* --- the runtime PM callbacks only (serialized by the PM core) --- */
	bool pm_intx_masked; /* runtime suspend masked INTx */
	/* --- SR-IOV (pci_sriov.c has the rules) --- */
	/* VF: its PF, if that enabled SR-IOV through us; probe to remove */
	struct nvfio_pci_device *sriov_pf;
	/* PF: on the list of pci_sriov.c (its lock) while it has our VFs */
	struct list_head sriov_pf_entry;
	struct notifier_block sriov_nb; /* PF: captures its VFs */
	/* --- vf_token_lock (a PF's): the token its VFs' users must give --- */
	struct mutex vf_token_lock;
	uuid_t vf_token;
	unsigned int vf_users; /* paired VFs open */
	/* --- reset domain (pci_devset.c), its lock --- */
	struct nvfio_pci_devset
		*devset; /* set at probe, for the device's life */
	struct list_head devset_entry;
	bool devset_open; /* between open_device and close_device */
	bool needs_reset; /* closed without a function reset */

	/* --- bar_lock --- */
	struct mutex bar_lock;
	void __iomem *barmap[PCI_STD_NUM_BARS];

	/* --- memory_lock --- */
	struct rw_semaphore memory_lock;
	bool mem_enabled; /* user's view of PCI_COMMAND_MEMORY */
	bool sriov_active; /* PF with our VFs: never out of D0 */
	/*
	 * D3hot to D0 resets the function (PMCSR No_Soft_Reset clear, read
	 * at probe): its config state is saved in pm_save on entry to D3hot
	 * and restored on the way back to D0, as on mainline.
	 */
	bool needs_pm_restore;
	struct pci_saved_state *pm_save;
	/*
	 * The user asked for low power (VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
	 * pci_pm.c): BAR faults are refused; pm_wake_eventfd, if set, is
	 * signalled when something wakes the device, which ends low power.
	 */
	bool pm_runtime_engaged;
	struct eventfd_ctx *pm_wake_eventfd;

	/* --- ioeventfds_lock --- */
	struct mutex ioeventfds_lock;
	struct list_head ioeventfds; /* struct nvfio_pci_ioeventfd.next */
	unsigned int ioeventfds_nr;

	/* --- cfg_lock --- */
	struct mutex cfg_lock;
	struct nvfio_pci_config *cfg;

	/*
	 * log2 of the MSI vectors last enabled; like mainline it outlives
	 * open/close (written under igate, read under cfg_lock)
	 */
	u8 msi_qmax;

	/* --- igate --- */
	struct mutex igate;
	unsigned int irq_type; /* VFIO_PCI_*_IRQ_INDEX or IRQ_NONE */
	struct nvfio_pci_irq_ctx *ctx; /* num_ctx entries */
	unsigned int num_ctx;
	unsigned int msi_nvec; /* MSI/MSI-X vectors allocated at enable */
	struct eventfd_ctx *err_trigger;
	struct eventfd_ctx *req_trigger;
	struct nvfio_pci_virqfd *unmask_virqfd; /* INTx unmask eventfd */
	struct work_struct intx_inject; /* re-signals INTx (pci_intrs.c) */

	/* --- irqlock --- */
	spinlock_t irqlock;
	bool intx_masked; /* INTx masked (automask or user request) */
	bool virq_disabled; /* user set DisINTx in the virtual command */
};

static inline struct nvfio_pci_device *to_nvfio_pci(struct nvfio_device *vdev)
{
	return container_of(vdev, struct nvfio_pci_device, vdev);
}

/*
 * May the user access memory BARs now?  Decode on in the user's command
 * register and the device not in D3hot.  Call with memory_lock held.
 */
static inline bool nvfio_pci_mem_usable(struct nvfio_pci_device *vdev)
{
	pci_power_t state = vdev->pdev->current_state;

	return vdev->mem_enabled && state != PCI_D3hot && state != PCI_D3cold;
}

/* pci_device.c */
int nvfio_pci_open_device(struct nvfio_device *core);
void nvfio_pci_close_device(struct nvfio_device *core);
void __iomem *nvfio_pci_barmap(struct nvfio_pci_device *vdev, int bar);
u16 nvfio_pci_memory_lock_and_enable(struct nvfio_pci_device *vdev);
void nvfio_pci_memory_unlock_and_restore(struct nvfio_pci_device *vdev,
					 u16 cmd);
void nvfio_pci_set_power_state(struct nvfio_pci_device *vdev,
			       pci_power_t state);
void nvfio_pci_probe_power_state(struct nvfio_pci_device *vdev);

/* pci_info.c */
int nvfio_pci_ioctl_get_info(struct nvfio_pci_device *vdev, void __user *arg);
int nvfio_pci_ioctl_get_region_info(struct nvfio_pci_device *vdev,
				    void __user *arg);
int nvfio_pci_ioctl_get_irq_info(struct nvfio_pci_device *vdev,
				 void __user *arg);
unsigned int nvfio_pci_irq_count(struct nvfio_pci_device *vdev,
				 unsigned int index);
size_t nvfio_pci_rom_size(struct pci_dev *pdev);

/* pci_rdwr.c */
ssize_t nvfio_pci_read(struct nvfio_device *core, struct iov_iter *to,
		       loff_t *ppos);
ssize_t nvfio_pci_write(struct nvfio_device *core, struct iov_iter *from,
			loff_t *ppos);

ssize_t nvfio_pci_do_io_rw(struct nvfio_pci_device *vdev, bool test_mem,
			   void __iomem *io, struct iov_iter *iter, loff_t off,
			   size_t count, size_t x_start, size_t x_end,
			   bool iswrite, unsigned int max_width);

/* pci_vga.c */
/* Class 0x0300: a VGA-compatible display controller. */
static inline bool nvfio_pci_is_vga(struct pci_dev *pdev)
{
	return (pdev->class >> 8) == PCI_CLASS_DISPLAY_VGA;
}

int nvfio_pci_vga_probe(struct nvfio_pci_device *vdev);
void nvfio_pci_vga_remove(struct nvfio_pci_device *vdev);
ssize_t nvfio_pci_vga_rw(struct nvfio_pci_device *vdev, struct iov_iter *iter,
			 loff_t *ppos, bool iswrite);

/* pci_mmap.c */
int nvfio_pci_mmap(struct nvfio_device *core, struct vm_area_struct *vma);

/* pci_config.c */
int nvfio_pci_config_init(struct nvfio_pci_device *vdev);
void nvfio_pci_config_free(struct nvfio_pci_device *vdev);
ssize_t nvfio_pci_config_rw(struct nvfio_pci_device *vdev,
			    struct iov_iter *iter, loff_t *ppos, bool iswrite);
u8 nvfio_pci_config_intx_pin(struct nvfio_pci_device *vdev);

/* pci_intrs.c */
int nvfio_pci_ioctl_set_irqs(struct nvfio_pci_device *vdev, void __user *arg);
void nvfio_pci_irqs_teardown(struct nvfio_pci_device *vdev);
void nvfio_pci_intx_set_virq_disabled(struct nvfio_pci_device *vdev,
				      bool disabled);
void nvfio_pci_request(struct nvfio_device *core, unsigned int count);
bool nvfio_pci_intx_pm_mask(struct nvfio_pci_device *vdev);
void nvfio_pci_intx_pm_unmask(struct nvfio_pci_device *vdev);

/* pci_reset.c (its header comment has the reset lock and the open list) */
int nvfio_pci_reset_scope(struct pci_dev *pdev, bool *slot);
int nvfio_pci_for_each_affected(struct pci_dev *origin, bool slot,
				int (*fn)(struct pci_dev *, void *),
				void *data);
void nvfio_pci_zap_bars(struct nvfio_pci_device *vdev);
void nvfio_pci_zap_and_down_write_memory_lock(struct nvfio_pci_device *vdev);
int nvfio_pci_ioctl_reset(struct nvfio_pci_device *vdev);
int nvfio_pci_ioctl_hot_reset_info(struct nvfio_pci_device *vdev,
				   void __user *arg);
int nvfio_pci_ioctl_hot_reset(struct nvfio_pci_device *vdev, void __user *arg);

/* pci_ioeventfd.c */
int nvfio_pci_ioctl_ioeventfd(struct nvfio_pci_device *vdev, void __user *arg);
void nvfio_pci_ioeventfd_teardown(struct nvfio_pci_device *vdev);

/* pci_driver.c: module parameters, as they were at load */
extern bool nvfio_pci_disable_idle_d3;
extern bool nvfio_pci_nointxmask;
extern bool nvfio_pci_disable_vga;

/* pci_pm.c (runtime PM and the device features) */
extern const struct dev_pm_ops nvfio_pci_pm_ops;
int nvfio_pci_pm_get(struct nvfio_pci_device *vdev);
void nvfio_pci_pm_put(struct nvfio_pci_device *vdev);
int nvfio_pci_ioctl_feature(struct nvfio_pci_device *vdev, void __user *arg);
void nvfio_pci_pm_probe(struct nvfio_pci_device *vdev);
void nvfio_pci_pm_remove(struct nvfio_pci_device *vdev);
int nvfio_pci_pm_open(struct nvfio_pci_device *vdev);
void nvfio_pci_pm_release(struct nvfio_pci_device *vdev);
void nvfio_pci_pm_close(struct nvfio_pci_device *vdev);

/* pci_visible.c: sysfs nvfio/ files, trace events */
extern const struct nvfio_device_attribute *const nvfio_pci_attrs[];
void nvfio_pci_note_reset(struct nvfio_pci_device *vdev, const char *how);
void nvfio_pci_note_irq(struct nvfio_pci_device *vdev,
			struct nvfio_pci_irq_ctx *ctx, unsigned int index,
			unsigned int vector);
void nvfio_pci_note_set_irqs(struct nvfio_pci_device *vdev,
			     const struct vfio_irq_set *hdr, int ret);

/* pci_err.c */
extern const struct pci_error_handlers nvfio_pci_err_handlers;

/* pci_match.c */
int nvfio_pci_match(struct nvfio_device *core, const char *buf);

/* pci_devset.c */
int nvfio_pci_devset_join(struct nvfio_pci_device *vdev);
void nvfio_pci_devset_leave(struct nvfio_pci_device *vdev);
void nvfio_pci_devset_lock(struct nvfio_pci_device *vdev);
void nvfio_pci_devset_unlock(struct nvfio_pci_device *vdev);
struct list_head *nvfio_pci_devset_members(struct nvfio_pci_device *vdev);
struct pci_dev *nvfio_pci_devset_resettable(struct nvfio_pci_device *vdev,
					    bool *slot);
struct pci_dev *nvfio_pci_devset_outsider(struct nvfio_pci_device *vdev);
int nvfio_pci_devset_reset_bus(struct nvfio_pci_device *vdev,
			       struct pci_dev *pdev);
void nvfio_pci_devset_try_reset(struct nvfio_pci_device *vdev);

/* pci_sriov.c */
int nvfio_pci_sriov_configure(struct pci_dev *pdev, int nr);
void nvfio_pci_sriov_disable(struct nvfio_pci_device *vdev);
int nvfio_pci_sriov_probe(struct nvfio_pci_device *vdev);
void nvfio_pci_sriov_remove(struct nvfio_pci_device *vdev);
void nvfio_pci_sriov_set_token(struct nvfio_pci_device *vdev,
			       const uuid_t *token);
int nvfio_pci_sriov_check_token(struct nvfio_pci_device *vdev,
				const uuid_t *token);
void nvfio_pci_sriov_open(struct nvfio_pci_device *vdev);
void nvfio_pci_sriov_close(struct nvfio_pci_device *vdev);

/* pci_quirks.c */
bool nvfio_pci_denylisted(struct pci_dev *pdev);
bool nvfio_pci_nointx(struct pci_dev *pdev);
void nvfio_pci_quirks_init(void);

#endif /* NVFIO_PCI_H */

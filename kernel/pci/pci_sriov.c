// SPDX-License-Identifier: GPL-2.0-only
/*
 * pci_sriov.c - SR-IOV: a PF bound to vfio-pci creating its VFs
 * (sriov_configure, gated by the enable_sriov parameter), the PF/VF
 * pairing, and the VF token that a PF's user and its VFs' users share.
 *
 * The rules, as on mainline:
 *   - Writing sriov_numvfs of a PF bound to us calls sriov_configure: with
 *     enable_sriov off (the default; read at every call) it is -ENOENT.
 *     Otherwise the PF is woken and held awake, kept out of D3 while its
 *     VFs exist (sriov_active), and pci_enable_sriov() makes the VFs.
 *     Writing 0, and unbinding the PF, remove them: that waits for every
 *     VF's driver to let go (our VF's remove waits for its users).
 *   - Every PF (SR-IOV capability) bound to us watches the PCI bus: a VF
 *     of it that appears gets driver_override "vfio-pci", so it binds to
 *     us; a VF bound to another driver is logged.
 *   - A VF that probes while its PF is on the list (SR-IOV enabled through
 *     us) is paired with it (@sriov_pf).  Opening such a VF needs the
 *     PF's token ("vf_token=<uuid>" after the name): none or a wrong one
 *     is -EACCES.  A VF of a PF not bound to us needs none, and one given
 *     is -EINVAL.
 *   - A PF with open VFs needs the same token to be opened; with none
 *     open, a token given at its open becomes the token.  A token given
 *     for a device that is neither PF nor VF is -EINVAL.  The PF's user
 *     sets the token with VFIO_DEVICE_FEATURE_PCI_VF_TOKEN (pci_pm.c); it
 *     starts as a random one at probe.
 *
 * Lifetimes.  A VF's @sriov_pf is set at its probe and constant until its
 * remove.  The PF outlives that: the PF's SR-IOV is only disabled under
 * the PF's device lock (sysfs, or our remove, which disables it first),
 * and pci_disable_sriov() removes the VFs, running our VF's remove to its
 * end, before it returns; the PF leaves the list only after that.
 *
 * Locking.  nvfio_pci_sriov.lock (leaf) protects the list of PFs whose
 * SR-IOV we enabled, and each PF's @sriov_pf_entry; it is taken with the
 * PF's device lock held (configure) or the VF's (probe).  A PF's
 * @vf_token_lock (leaf) protects its @vf_token and @vf_users, the number
 * of its paired VFs that are open; it is taken under the core's group
 * dev_lock (match), a VF's devset lock (open/close) or nothing (the
 * feature).  @sriov_active is written under memory_lock held for write
 * and read under it by nvfio_pci_set_power_state().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/pm_runtime.h>

#include "nvfio_compat.h"
#include "nvfio_pci.h"

static bool enable_sriov;
module_param(enable_sriov, bool, 0644);
MODULE_PARM_DESC(
	enable_sriov,
	"Let sriov_numvfs create VFs of a PF bound to vfio-pci (off by default). The PF's userspace driver must support its VFs, or the VFs, or the PF, may not work.");

static struct {
	struct mutex lock;
	struct list_head pfs; /* nvfio_pci_device.sriov_pf_entry */
} nvfio_pci_sriov = {
	.lock = __MUTEX_INITIALIZER(nvfio_pci_sriov.lock),
	.pfs = LIST_HEAD_INIT(nvfio_pci_sriov.pfs),
};

/* ---- the list of PFs whose VFs we made ----------------------------- */

/* Put @vdev on the list; false if it is there already. */
static bool nvfio_pci_sriov_list_add(struct nvfio_pci_device *vdev)
{
	bool added = false;

	mutex_lock(&nvfio_pci_sriov.lock);
	if (list_empty(&vdev->sriov_pf_entry)) {
		list_add_tail(&vdev->sriov_pf_entry, &nvfio_pci_sriov.pfs);
		added = true;
	}
	mutex_unlock(&nvfio_pci_sriov.lock);
	return added;
}

static void nvfio_pci_sriov_list_del(struct nvfio_pci_device *vdev)
{
	mutex_lock(&nvfio_pci_sriov.lock);
	list_del_init(&vdev->sriov_pf_entry);
	mutex_unlock(&nvfio_pci_sriov.lock);
}

/* The PF of VF @pdev if we enabled its SR-IOV, else NULL. */
static struct nvfio_pci_device *nvfio_pci_sriov_find_pf(struct pci_dev *pdev)
{
	struct pci_dev *physfn = pci_physfn(pdev);
	struct nvfio_pci_device *cur, *found = NULL;

	mutex_lock(&nvfio_pci_sriov.lock);
	list_for_each_entry(cur, &nvfio_pci_sriov.pfs, sriov_pf_entry) {
		if (cur->pdev == physfn) {
			found = cur;
			break;
		}
	}
	mutex_unlock(&nvfio_pci_sriov.lock);
	return found;
}

static void nvfio_pci_sriov_set_active(struct nvfio_pci_device *vdev,
				       bool active)
{
	down_write(&vdev->memory_lock);
	/* VFs need their PF in D0: wake it before they exist */
	if (active)
		nvfio_pci_set_power_state(vdev, PCI_D0);
	vdev->sriov_active = active;
	up_write(&vdev->memory_lock);
}

/* ---- sriov_configure ------------------------------------------------ */

static int nvfio_pci_sriov_enable(struct nvfio_pci_device *vdev, int nr)
{
	struct pci_dev *pdev = vdev->pdev;
	int ret;

	/*
	 * Whoever puts the PF on the list enables its SR-IOV, once, until
	 * it is disabled again.
	 */
	if (!nvfio_pci_sriov_list_add(vdev))
		return -EINVAL;

	/* Awake while the VFs exist: their PF must not go to D3. */
	ret = pm_runtime_resume_and_get(&pdev->dev);
	if (ret)
		goto out_del;
	nvfio_pci_sriov_set_active(vdev, true);
	ret = pci_enable_sriov(pdev, nr);
	if (ret) {
		pm_runtime_put(&pdev->dev);
		goto out_del;
	}
	return nr;

out_del:
	nvfio_pci_sriov_set_active(vdev, false);
	nvfio_pci_sriov_list_del(vdev);
	return ret;
}

/*
 * Remove the VFs of @vdev if we made them: waits until each VF's driver
 * has let go of it.  The PF's device lock is held.
 */
void nvfio_pci_sriov_disable(struct nvfio_pci_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;

	device_lock_assert(&pdev->dev);
	if (pci_num_vf(pdev)) {
		pci_disable_sriov(pdev);
		pm_runtime_put(&pdev->dev);
	}
	nvfio_pci_sriov_set_active(vdev, false);
	nvfio_pci_sriov_list_del(vdev);
}

/*
 * The PCI core's sriov_configure, for sysfs sriov_numvfs (device lock
 * held): @nr VFs, or none.  Return: the number enabled, 0, or -errno.
 */
int nvfio_pci_sriov_configure(struct pci_dev *pdev, int nr)
{
	struct nvfio_pci_device *vdev = dev_get_drvdata(&pdev->dev);

	device_lock_assert(&pdev->dev);
	if (!READ_ONCE(enable_sriov))
		return -ENOENT;
	if (!nr) {
		nvfio_pci_sriov_disable(vdev);
		return 0;
	}
	return nvfio_pci_sriov_enable(vdev, nr);
}

/* ---- capturing the VFs ---------------------------------------------- */

static int nvfio_pci_sriov_notify(struct notifier_block *nb,
				  unsigned long action, void *data)
{
	struct nvfio_pci_device *vdev =
		container_of(nb, struct nvfio_pci_device, sriov_nb);
	struct pci_dev *pdev = to_pci_dev(data);
	struct pci_driver *drv, *ours;

	if (!pdev->is_virtfn || pci_physfn(pdev) != vdev->pdev)
		return NOTIFY_DONE;

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
		/* Before it can probe: only vfio-pci will take it. */
		pci_info(vdev->pdev, "Captured SR-IOV VF %s driver_override\n",
			 pci_name(pdev));
		WARN_ON(nvfio_pci_set_driver_override(pdev,
						      NVFIO_PCI_DRIVER_NAME));
		break;
	case BUS_NOTIFY_BOUND_DRIVER:
		drv = pci_dev_driver(pdev);
		ours = pci_dev_driver(vdev->pdev);
		if (drv && drv != ours)
			pci_warn(
				vdev->pdev,
				"VF %s bound to driver %s while PF bound to driver %s\n",
				pci_name(pdev), drv->name, ours->name);
		break;
	}
	return NOTIFY_DONE;
}

/*
 * Probe, before registration.  A VF finds its PF; a PF gets a random
 * token and starts watching for its VFs.
 */
int nvfio_pci_sriov_probe(struct nvfio_pci_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	int ret;

	device_lock_assert(&pdev->dev);
	INIT_LIST_HEAD(&vdev->sriov_pf_entry);
	mutex_init(&vdev->vf_token_lock);
	if (pdev->is_virtfn) {
		vdev->sriov_pf = nvfio_pci_sriov_find_pf(pdev);
		return 0;
	}
	if (!pdev->is_physfn)
		return 0;

	/* Never predictable: the first user must set its own. */
	uuid_gen(&vdev->vf_token);
	vdev->sriov_nb.notifier_call = nvfio_pci_sriov_notify;
	ret = bus_register_notifier(&pci_bus_type, &vdev->sriov_nb);
	if (ret)
		mutex_destroy(&vdev->vf_token_lock);
	return ret;
}

/*
 * Remove, after unregistration (and nvfio_pci_sriov_disable()), or a
 * probe that failed after nvfio_pci_sriov_probe().
 */
void nvfio_pci_sriov_remove(struct nvfio_pci_device *vdev)
{
	if (vdev->pdev->is_physfn) {
		bus_unregister_notifier(&pci_bus_type, &vdev->sriov_nb);
		/* the VFs are gone, and their users with them */
		WARN_ON(vdev->vf_users);
	}
	mutex_destroy(&vdev->vf_token_lock);
}

/* ---- the token --------------------------------------------------------- */

/* VFIO_DEVICE_FEATURE_PCI_VF_TOKEN (SET) of a PF. */
void nvfio_pci_sriov_set_token(struct nvfio_pci_device *vdev,
			       const uuid_t *token)
{
	mutex_lock(&vdev->vf_token_lock);
	uuid_copy(&vdev->vf_token, token);
	mutex_unlock(&vdev->vf_token_lock);
}

/* A VF's open: does @token (NULL: none given) match its PF's? */
static int nvfio_pci_sriov_check_vf(struct nvfio_pci_device *vdev,
				    const uuid_t *token)
{
	struct nvfio_pci_device *pf = vdev->sriov_pf;
	bool match;

	if (!pf) {
		if (!token)
			return 0;
		pci_info_ratelimited(
			vdev->pdev,
			"VF token incorrectly provided, PF not bound to vfio-pci\n");
		return -EINVAL;
	}
	if (!token) {
		pci_info_ratelimited(vdev->pdev,
				     "VF token required to access device\n");
		return -EACCES;
	}
	mutex_lock(&pf->vf_token_lock);
	match = uuid_equal(token, &pf->vf_token);
	mutex_unlock(&pf->vf_token_lock);
	if (!match) {
		pci_info_ratelimited(
			vdev->pdev, "Incorrect VF token provided for device\n");
		return -EACCES;
	}
	return 0;
}

/* A PF's open: with VFs open the token must match; else it sets it. */
static int nvfio_pci_sriov_check_pf(struct nvfio_pci_device *vdev,
				    const uuid_t *token)
{
	int ret = 0;

	mutex_lock(&vdev->vf_token_lock);
	if (!vdev->vf_users) {
		if (token)
			uuid_copy(&vdev->vf_token, token);
	} else if (!token) {
		pci_info_ratelimited(vdev->pdev,
				     "VF token required to access device\n");
		ret = -EACCES;
	} else if (!uuid_equal(token, &vdev->vf_token)) {
		pci_info_ratelimited(
			vdev->pdev, "Incorrect VF token provided for device\n");
		ret = -EACCES;
	}
	mutex_unlock(&vdev->vf_token_lock);
	return ret;
}

/*
 * VFIO_GROUP_GET_DEVICE_FD named this device, with "vf_token=@token" or
 * without (@token NULL).  Return: 0 if the open may go on, or -errno.
 */
int nvfio_pci_sriov_check_token(struct nvfio_pci_device *vdev,
				const uuid_t *token)
{
	if (vdev->pdev->is_virtfn)
		return nvfio_pci_sriov_check_vf(vdev, token);
	if (vdev->pdev->is_physfn)
		return nvfio_pci_sriov_check_pf(vdev, token);
	if (token) {
		pci_info_ratelimited(
			vdev->pdev,
			"VF token incorrectly provided, not a PF or VF\n");
		return -EINVAL;
	}
	return 0;
}

/* First open of a VF paired with its PF: one more VF user of the PF. */
void nvfio_pci_sriov_open(struct nvfio_pci_device *vdev)
{
	struct nvfio_pci_device *pf = vdev->sriov_pf;

	if (!pf)
		return;
	mutex_lock(&pf->vf_token_lock);
	pf->vf_users++;
	mutex_unlock(&pf->vf_token_lock);
}

/* Last close of such a VF. */
void nvfio_pci_sriov_close(struct nvfio_pci_device *vdev)
{
	struct nvfio_pci_device *pf = vdev->sriov_pf;

	if (!pf)
		return;
	mutex_lock(&pf->vf_token_lock);
	WARN_ON(!pf->vf_users);
	pf->vf_users--;
	mutex_unlock(&pf->vf_token_lock);
}

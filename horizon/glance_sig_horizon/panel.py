from django.utils.translation import gettext_lazy as _

import horizon


class SignImage(horizon.Panel):
    name = _("Sign and upload image")
    slug = "glance_sig"
    # Where Images is, for whoever may list images.
    permissions = ("openstack.services.image",)

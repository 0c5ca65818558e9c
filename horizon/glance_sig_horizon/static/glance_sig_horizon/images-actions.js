// Adds to Horizon's (Angular) Images panel: a "Verify signature" action on every image, and a
// "Sign and upload image" button next to "Create Image". Both open the glance-sig panel, which
// frames the portal; verification runs there, in the browser, as `glance-sig verify` does.
(function () {
  "use strict";

  angular
    .module("horizon.app.glance-sig", ["horizon.framework.conf", "horizon.app.core.images"])
    .factory("horizon.app.glance-sig.verify.service", verifyService)
    .factory("horizon.app.glance-sig.sign.service", signService)
    .run(register);

  verifyService.$inject = ["$q", "$window"];
  function verifyService($q, $window) {
    return {
      allowed: function (image) {
        // Glance holds data to verify only for an active image.
        return image && image.status === "active" ? $q.resolve() : $q.reject();
      },
      perform: function (image) {
        $window.location.href = $window.WEBROOT + "project/glance_sig/?verify=" + encodeURIComponent(image.id);
      },
    };
  }

  signService.$inject = ["$q", "$window"];
  function signService($q, $window) {
    return {
      allowed: function () { return $q.resolve(); },
      perform: function () { $window.location.href = $window.WEBROOT + "project/glance_sig/"; },
    };
  }

  register.$inject = [
    "horizon.framework.conf.resource-type-registry.service",
    "horizon.app.glance-sig.verify.service",
    "horizon.app.glance-sig.sign.service",
    "horizon.app.core.images.resourceType",
  ];
  function register(registry, verify, sign, imageType) {
    var images = registry.getResourceType(imageType);
    images.itemActions.append({
      id: "glanceSigVerifyAction",
      service: verify,
      template: { text: gettext("Verify signature") },
    });
    images.globalActions.append({
      id: "glanceSigSignAction",
      service: sign,
      template: { text: gettext("Sign and upload image"), type: "create" },
    });
  }
})();

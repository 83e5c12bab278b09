package dev.bulkhead.console.internal;

import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.bulkhead.api.QubeAdmin;

/**
 * {@code /api/qubes/NAME/volumes}: a qube's volumes as {@code qvm-volume} shows them, one by name, and
 * {@code POST .../volumes/VOLUME/revert} to put a halted qube's volume back to a kept revision.
 */
final class VolumesResource {
    private final QubeAdmin admin;
    private final ObjectMapper json;

    VolumesResource(QubeAdmin admin, ObjectMapper json) {
        this.admin = admin;
        this.json = json;
    }

    ApiResponse handle(ApiRequest r, String name, List<String> p, String m) {
        if (p.size() == 3) {
            return Routes.only(m, "GET", () -> ApiResponse.json(200,
                    new Json.VolumeList(admin.volumes(name).stream().map(Json::volume).toList())));
        }
        if (p.size() == 4) {
            return Routes.only(m, "GET", () -> ApiResponse.json(200, Json.volume(admin.volume(name, p.get(3)))));
        }
        if (p.size() == 5 && p.get(4).equals("revert")) {
            return Routes.only(m, "POST", () -> {
                String revision = JsonBody.parse(json, r.body(), "a revert", false).read(Bodies.Revert.class).revision();
                admin.revertVolume(name, p.get(3), revision);
                return ApiResponse.json(200, Json.volume(admin.volume(name, p.get(3))));
            });
        }
        throw ApiException.notFound("no API resource /api" + r.path() + "; see /api/openapi.json for what there is");
    }
}

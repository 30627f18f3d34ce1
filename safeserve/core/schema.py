"""OpenAPI: every operation documents its error responses, not just its success."""

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema

ERROR_DESCRIPTIONS = {
    "400": "输入无效:按字段列出原因 (invalid input: reasons per field)",
    "401": "未登录 (not authenticated)",
    "403": "无权限 (permission denied)",
    "404": "不存在或不在您的数据范围内 (not found or outside your data scope)",
}


def _error(description):
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "additionalProperties": {
                        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
                    },
                    "example": {"detail": description.split(" (")[0]},
                }
            }
        },
    }


class AutoSchema(BaseAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["401", "403"]
        if self.method in ("POST", "PUT", "PATCH"):
            codes.append("400")
        if "{" in self.path or self.method in ("PUT", "PATCH", "DELETE"):
            codes.append("404")
        for code in codes:
            responses.setdefault(code, _error(ERROR_DESCRIPTIONS[code]))
        return responses

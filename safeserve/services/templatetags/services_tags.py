from django import template

register = template.Library()


@register.inclusion_tag("services/_contract_extras.html", takes_context=True)
def contract_extras(context, contract):
    from safeserve.services.views import contract_context

    request = context["request"]
    return {
        "contract": contract,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        **contract_context(request.user, contract),
    }

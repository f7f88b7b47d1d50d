/**
 * The Django side of the `http` bench: a one-file WSGI app with Django's `CacheMiddleware`
 * (both halves in one, django/views/decorators/cache.py) on locmem, answering the same page as the Node
 * servers. Written to a temp dir and run by gunicorn.
 */
import { PAGE } from './http-page.ts'

/** The WSGI module's source (`benchapp:application`). */
export function djangoApp(): string {
  return `import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    USE_I18N=False,
    USE_TZ=False,
    MIDDLEWARE=["django.middleware.cache.CacheMiddleware"],
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    CACHE_MIDDLEWARE_SECONDS=600,
)
django.setup()

from django.http import HttpResponse
from django.urls import path

PAGE = ${JSON.stringify(PAGE)}.encode()


def page(request):
    return HttpResponse(PAGE, content_type="text/html; charset=utf-8")


urlpatterns = [path("page", page)]

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
`
}

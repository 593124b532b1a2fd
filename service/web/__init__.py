"""The portal's web layer: templates, security headers, CSRF, cookies, error pages and static assets."""

"""Provider profiles: TOML data shipped in the package, plus the files an admin adds.

See `loader` for where profiles are looked for and how a bad file is reported.
"""

from onboard_tui.providers.errors import ProfileError
from onboard_tui.providers.loader import (
    SHIPPED_DIR,
    ProfileCatalogue,
    list_profiles,
    load_profile,
    profile_dirs,
    read_profile,
    user_profile_dir,
)
from onboard_tui.providers.model import GeographyProfile, Profile

__all__ = [
    "SHIPPED_DIR",
    "GeographyProfile",
    "Profile",
    "ProfileCatalogue",
    "ProfileError",
    "list_profiles",
    "load_profile",
    "profile_dirs",
    "read_profile",
    "user_profile_dir",
]

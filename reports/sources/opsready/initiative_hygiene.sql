select
    company,
    initiative_id,
    initiative_name,
    cast(wave as varchar) as wave,
    wishlist,
    change_under_budgeted,
    no_sunset,
    wave_skipped,
    big_bang,
    concat_ws(', ',
        case when wishlist then 'wishlist' end,
        case when change_under_budgeted then 'change under-budgeted' end,
        case when no_sunset then 'no sunset' end,
        case when wave_skipped then 'wave skipped' end,
        case when big_bang then 'big bang' end
    ) as hygiene_flags
from marts.initiative_hygiene

-- What changed between the last two published nights (marts.nightly_changes), one row per change. Dates as text.
select
    strftime(as_of, '%Y-%m-%d') as as_of,
    strftime(previous_as_of, '%Y-%m-%d') as previous_as_of,
    change_type,
    case change_type
        when 'plant_newly_blocked' then 'Plant newly blocked'
        when 'plant_newly_passing' then 'Plant newly passing'
        when 'criterion_now_passing' then 'Criterion now passing'
        when 'criterion_now_failing' then 'Criterion now failing'
        when 'pilot_entered_purgatory' then 'Pilot entered purgatory'
        when 'pilot_left_purgatory' then 'Pilot left purgatory'
        when 'initiative_newly_flagged' then 'Initiative newly flagged'
        else change_type
    end as change,
    company,
    plant_id,
    subject,
    label,
    before_value,
    after_value
from marts.nightly_changes
order by change_type, plant_id, subject
